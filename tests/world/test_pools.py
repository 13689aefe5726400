"""The name pools: reviewable YAML, large enough that namesakes are the exception."""

from __future__ import annotations

import re

import pytest

from palermo.match.names import latinize
from palermo.world.pools import CULTURES, Culture

MRZ_NAME = re.compile(r"^[A-Za-z][A-Za-z \-']*$")


@pytest.mark.parametrize("code", sorted(CULTURES))
def test_every_culture_has_diverse_pools(code: str) -> None:
    culture = CULTURES[code]
    assert culture.code == code
    assert len(culture.male) >= 30 and len(culture.female) >= 30
    assert len(culture.family) >= 45
    for pool in (culture.male, culture.female, culture.family):
        natives = [native for native, _ in pool]
        assert len(set(natives)) == len(natives), "a name listed twice"


def names(culture: Culture) -> list[tuple[str, tuple[str, ...]]]:
    return list(culture.male + culture.female + culture.family)


@pytest.mark.parametrize("code", sorted(CULTURES))
def test_passport_spelling_fits_the_mrz_and_native_forms_latinize(code: str) -> None:
    for native, variants in names(CULTURES[code]):
        assert variants, native
        assert MRZ_NAME.match(variants[0]), (native, variants[0])
        assert latinize(native), native  # every script is one the matcher can read
