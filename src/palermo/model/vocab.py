"""Coded vocabularies shared by the workflows, so that a typo is an error, not a new term.

``EXPLOITATION_FORMS`` is every form of exploitation palermo's data speaks of: the
purposes of the coded laws (coordination/laws/*.yaml), the forms of the generated world
and of the CTDC mapping (sector-specific ``forced-labour-*`` and ``sexual*`` forms)."""

from __future__ import annotations

EXPLOITATION_FORMS: tuple[str, ...] = (
    "sexual-exploitation",
    "sexual",
    "sexual-pornography",
    "pornography",
    "forced-labour",
    "forced-labour-agriculture",
    "forced-labour-construction",
    "forced-labour-domestic",
    "forced-labour-fishing",
    "forced-labour-hospitality",
    "forced-labour-manufacturing",
    "forced-begging",
    "forced-criminality",
    "forced-marriage",
    "slavery",
    "servitude",
    "debt-bondage",
    "organ-removal",
    "other",
)


def check_exploitation_form(value: str, field: str = "exploitation_form") -> str:
    """``value`` if it is a known form of exploitation, else a ValueError naming the field
    and listing the allowed values."""
    form = value.strip()
    if form not in EXPLOITATION_FORMS:
        raise ValueError(
            f"{field}: {value!r} is not a form of exploitation "
            f"(one of {', '.join(EXPLOITATION_FORMS)})"
        )
    return form
