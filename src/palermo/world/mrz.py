"""Composing ICAO 9303 TD3 machine-readable zones (passports), valid or deliberately broken."""

from __future__ import annotations

import re

from palermo.match.mrz import check_digit


def mrz_name(text: str) -> str:
    return re.sub(r"[^A-Z]+", "<", text.upper()).strip("<")


def td3(
    issuer: str,
    surname: str,
    given: str,
    number: str,
    nationality: str,
    birth: str,
    sex: str,
    expiry: str,
    broken: bool = False,
) -> tuple[str, str]:
    """The two 44-character lines. Dates are YYYY-MM-DD; ``broken`` spoils one check digit."""
    line1 = f"P<{issuer}{mrz_name(surname)}<<{mrz_name(given)}".ljust(44, "<")[:44]
    doc = number.upper().ljust(9, "<")[:9]
    dob = birth[2:4] + birth[5:7] + birth[8:10]
    exp = expiry[2:4] + expiry[5:7] + expiry[8:10]
    optional = "<" * 14
    doc_cd, dob_cd, exp_cd = check_digit(doc), check_digit(dob), check_digit(exp)
    if broken:
        doc_cd = str((int(doc_cd) + 3) % 10)
    opt_cd = "<" if optional == "<" * 14 else check_digit(optional)
    composite = doc + doc_cd + dob + dob_cd + exp + exp_cd + optional + opt_cd
    line2 = (
        f"{doc}{doc_cd}{nationality}{dob}{dob_cd}{sex or '<'}{exp}{exp_cd}{optional}{opt_cd}"
        f"{check_digit(composite)}"
    )
    return line1, line2
