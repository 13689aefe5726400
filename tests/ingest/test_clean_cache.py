"""Import validation cleans each distinct value once (ingest.validate._cleaned): the cached
answer is the property type's own cleaning, for valid and invalid values alike, and a bad
value is still an error naming the field and the reason, however often it repeats."""

from __future__ import annotations

import pytest
from followthemoney.types import registry
from hypothesis import given, settings
from hypothesis import strategies as st

from palermo.ingest.errors import RowProblem
from palermo.ingest.validate import _cleaned, entity_statements
from palermo.model.sharing import Sharing

TYPES = [registry.phone, registry.email, registry.date, registry.country, registry.name]
texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "+49 151 1234 5678",
            "0812345678",
            "a@example.org",
            "B@Example.ORG",
            "x@y",
            "1980-02-30",
            "1980-02-03",
            "Germany",
            "de",
            "xx",
            "Анна Берг",
            "+66 81 234 5678",
            "not-a-phone",
        ]
    ),
)


@settings(deadline=None)  # the first cleaning of a type loads its tables
@given(kind=st.sampled_from(TYPES), text=texts)
def test_cached_cleaning_is_the_types_cleaning(kind: object, text: str) -> None:
    expected = kind.clean(text)  # type: ignore[attr-defined]
    for _ in range(2):  # the first call fills the cache, the second reads it
        assert _cleaned(kind, text) == (None if expected is None else str(expected))


def test_a_repeated_bad_value_is_refused_every_time() -> None:
    row = {"id": "p1", "schema": "Person", "properties": {"birthDate": ["1980-13-05"]}}
    for _ in range(2):
        with pytest.raises(RowProblem) as err:
            entity_statements(row, "A1", Sharing.owner_only())
        assert err.value.field == "birthDate"
        assert "not a valid date" in err.value.reason
