"""The qualified handling codes: H0's stated purposes and H3's free-text restrictions.

Europol's H0 ("use for the stated purpose only") and H3 ("other restrictions") mean
something only with what they qualify: *which* purpose, *which* restriction. Both ride in
the handling part of the sharing text as qualified codes, so the one strict reader
(`model.sharing.parse_sharing`) and every stored policy keep working:

- ``H0:investigation`` -- the value may be used for that purpose only; several ``H0:``
  codes on one value allow any of them (``all|H0:investigation,H0:court``). Purposes come
  from :data:`PURPOSES`, so a typo is an error instead of a purpose nobody declares.
- ``H3:do not contact the family`` -- a restriction that travels with the value (at most
  :data:`MAX_RESTRICTION` characters, no control characters). A ``%``, ``,`` or ``|`` in
  the text is written ``%25``, ``%2C``, ``%7C`` in the sharing text (the canonical form
  escapes them; a lone ``%`` is read as itself).

A bare ``H0`` or ``H3`` (no purpose, no text) stays valid and means what it meant before:
carried and shown, not enforced. An unqualified value's text is unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# The purposes a value may be restricted to and an export may declare. Coded (not free
# text) so that "investigaton" is refused rather than silently matching nothing.
PURPOSES = (
    "analysis",
    "court",
    "investigation",
    "prosecution",
    "screening",  # checking persons and documents (border, carrier); ADR 0041
    "statistics",
    "training",
    "victim-support",
)
NO_PURPOSE = "none"  # only in derived markings: inputs' purposes had nothing in common
MAX_RESTRICTION = 200
MAX_QUALIFIERS = 8  # purposes or restrictions on one value
_UNESCAPE = re.compile("%(25|2C|7C)", re.IGNORECASE)


class TermError(ValueError):
    """A purpose or restriction that cannot be accepted; the message names which."""


@dataclass(frozen=True)
class Codes:
    """The handling part read: bare codes (as given, trimmed), purposes, restrictions."""

    codes: tuple[str, ...]
    purposes: frozenset[str]
    restrictions: frozenset[str]


def check_purpose(text: str, field: str = "purpose") -> str:
    """``text`` as a known purpose (lower case), else an error naming ``field``."""
    purpose = text.strip().lower()
    if purpose not in PURPOSES:
        raise TermError(f"{field}: {text.strip()[:40]!r} is not one of {', '.join(PURPOSES)}")
    return purpose


def check_restriction(text: str, field: str = "H3") -> str:
    """A restriction text, trimmed, bounded and printable, else an error naming ``field``."""
    restriction = " ".join(text.split())
    if not restriction:
        raise TermError(f"{field}: the restriction text is empty (write H3:TEXT)")
    if len(restriction) > MAX_RESTRICTION:
        raise TermError(f"{field}: restriction longer than {MAX_RESTRICTION} characters")
    if any(unicodedata.category(c).startswith("C") for c in restriction):
        raise TermError(f"{field}: restriction contains a control or unassigned character")
    return restriction


def escape(text: str) -> str:
    """A restriction as written inside a sharing text."""
    return text.replace("%", "%25").replace(",", "%2C").replace("|", "%7C")


def unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: bytes.fromhex(m.group(1)).decode(), text)


def read_codes(tokens: Iterable[str], derived: bool = False) -> Codes:
    """Split handling tokens into bare codes, H0 purposes and H3 restrictions.

    ``derived`` also accepts ``H0:none`` (a merged marking whose inputs allowed no common
    purpose); a user's sharing may not say it."""
    codes: list[str] = []
    purposes: set[str] = set()
    restrictions: set[str] = set()
    for token in tokens:
        token = token.strip()
        if not token:
            continue
        code, colon, rest = token.partition(":")
        code = code.strip()
        if not colon:
            codes.append(code)
            continue
        if code.upper() == "H0":
            if derived and rest.strip().lower() == NO_PURPOSE:
                purposes.add(NO_PURPOSE)
            else:
                purposes.add(check_purpose(rest, "H0"))
        elif code.upper() == "H3":
            restrictions.add(check_restriction(unescape(rest)))
        else:
            raise TermError(f"{code!r} takes no qualifier (only H0:PURPOSE and H3:TEXT do)")
        codes.append(code.upper())
    too_many = len(purposes) > MAX_QUALIFIERS or len(restrictions) > MAX_QUALIFIERS
    if too_many and not derived:  # a union over many inputs may hold more
        raise TermError(f"at most {MAX_QUALIFIERS} H0 purposes and H3 restrictions per value")
    return Codes(tuple(codes), frozenset(purposes), frozenset(restrictions))


def tokens(codes: Iterable[str], purposes: Iterable[str], restrictions: Iterable[str]) -> str:
    """The canonical handling part: sorted codes, H0 and H3 replaced by their qualified
    forms when they have any (so an unqualified value's text is what it always was)."""
    out = set(codes)
    qualified_h0 = {f"H0:{p}" for p in purposes}
    qualified_h3 = {f"H3:{escape(r)}" for r in restrictions}
    if qualified_h0:
        out = (out - {"H0"}) | qualified_h0
    if qualified_h3:
        out = (out - {"H3"}) | qualified_h3
    return ",".join(sorted(out))
