"""Court outcomes recorded by hand: what a court did with one of the agency's suspects.

Until now `CourtOutcome` records came only from imports; the GLOTIP submission counts
persons prosecuted and convicted from them (`analysis.glotip_submission`). This is the one
check and write that the web form and the REST API both call, so a prosecutor's browser is
allowed exactly what the API allows and both refuse the same input with the same words
("field: why", the field named as the form and the API's body name it).

Rules (ADR 0028, amendment 2026-11-30):
- any data role may record one (court outcomes are not victim-sensitive);
- the defendant is a Person record the caller reads and its own agency holds: the
  submission counts only the agency's own records, so an outcome about a partner's record
  would be stored but never counted, which a national rapporteur would take for a bug;
- verdict and ICCS code come from the schema's coded lists, and a purpose code (0204x)
  must fit the form of exploitation when one is given (`FORM_CODES`); a verdict other than pending
  needs its date, which is not before the prosecution date, and no date is in the future;
- the record is written as the caller's agency with the default sharing of a write that
  names none (the agency only, as an import without a sharing column), or a narrower or
  wider audience the caller names in the same syntax as an import's default sharing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from palermo.access.viewer import NotVisible, Viewer
from palermo.ingest.build import write_entity
from palermo.model.sharing import Sharing
from palermo.model.vocab import EXPLOITATION_FORMS, check_exploitation_form
from palermo.store.store import Store

# CourtOutcome.yaml's verdict values, in the order a form offers them
VERDICTS = ("convicted", "acquitted", "dismissed", "pending")
# ICCS 0204 "trafficking in persons" and its four purposes (CourtOutcome.yaml)
OFFENCE_CODES: dict[str, str] = {
    "0204": "0204 trafficking in persons",
    "02041": "02041 for sexual exploitation",
    "02042": "02042 for forced labour or services",
    "02043": "02043 for organ removal",
    "02044": "02044 for other purposes",
}
LINE = 500  # a court's name: one line
# The ICCS purpose codes a form of exploitation may be coded under (0204, "unspecified",
# fits every form). ICCS 02041 is for sexual exploitation, 02042 for forced labour or
# services, 02043 for organ removal, 02044 for other purposes; the split follows the one
# the synthetic world codes by (world.court.offence_code) and the GLOTIP form groups
# (analysis.statistics.FORM_GROUPS: sexual*, forced-labour*, everything else "other").
# Three forms are read two ways in the instruments and take either code: begging, which
# Directive 2011/36/EU counts among "forced labour or services, including begging" and
# GLOTIP among other forms; slavery and servitude, which the Palermo Protocol names beside
# forced labour and ILO counts as forced labour. Debt bondage, forced marriage and forced
# criminality are other purposes (the Directive's "exploitation of criminal activities" is
# its own purpose).
SEXUAL, LABOUR, ORGANS, OTHER = "02041", "02042", "02043", "02044"
FORM_CODES: dict[str, frozenset[str]] = {
    **{f: frozenset({SEXUAL}) for f in ("sexual-exploitation", "sexual", "sexual-pornography",
                                        "pornography")},
    **{f: frozenset({LABOUR}) for f in EXPLOITATION_FORMS if f.startswith("forced-labour")},
    **{f: frozenset({LABOUR, OTHER}) for f in ("forced-begging", "slavery", "servitude")},
    **{f: frozenset({OTHER}) for f in ("debt-bondage", "forced-marriage", "forced-criminality",
                                       "other")},
    "organ-removal": frozenset({ORGANS}),
}  # fmt: skip


@dataclass(frozen=True)
class CourtOutcomeInput:
    """What a prosecutor types, as typed (a form shows it again when refused)."""

    defendant: str
    verdict: str
    prosecution_date: str
    verdict_date: str = ""
    offence_code: str = "0204"
    exploitation_form: str = ""
    court: str = ""


def _day(value: str, field: str, today: date) -> date:
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise ValueError(f"{field}: {value[:40]!r} is not a date (YYYY-MM-DD)")
    if day > today:
        raise ValueError(f"{field}: {value} is in the future")
    return day


def check(values: CourtOutcomeInput, today: date | None = None) -> dict[str, str | list[str]]:
    """The record's properties, or a ValueError whose message starts with the field."""
    today = today or datetime.now(UTC).date()
    if not values.defendant.strip():
        raise ValueError("defendant: name the defendant (a person record id)")
    if values.verdict not in VERDICTS:
        raise ValueError(f"verdict: {values.verdict[:40]!r} is not one of {', '.join(VERDICTS)}")
    if not values.prosecution_date:
        raise ValueError("prosecution_date: the date the person was charged is needed")
    prosecuted = _day(values.prosecution_date, "prosecution_date", today)
    props: dict[str, str | list[str]] = {
        "defendant": values.defendant.strip(),
        "verdict": values.verdict,
        "prosecutionDate": prosecuted.isoformat(),
    }
    if values.verdict == "pending":
        if values.verdict_date:
            raise ValueError("verdict_date: a pending case has no verdict date yet")
    elif not values.verdict_date:
        raise ValueError(f"verdict_date: a {values.verdict} verdict needs its date")
    else:
        decided = _day(values.verdict_date, "verdict_date", today)
        if decided < prosecuted:
            raise ValueError(
                f"verdict_date: {decided.isoformat()} is before the prosecution date "
                f"{prosecuted.isoformat()}"
            )
        props["verdictDate"] = decided.isoformat()
    if values.offence_code not in OFFENCE_CODES:
        raise ValueError(
            f"offence_code: {values.offence_code[:40]!r} is not an ICCS trafficking code "
            f"(one of {', '.join(OFFENCE_CODES)})"
        )
    props["offenceCode"] = values.offence_code
    if values.exploitation_form:
        form = check_exploitation_form(values.exploitation_form)
        check_code_fits_form(values.offence_code, form)
        props["exploitationForm"] = form
    court = values.court.strip()
    if len(court) > LINE or any(ord(c) < 32 for c in court):
        raise ValueError(f"court: one line of at most {LINE} characters")
    if court:
        props["court"] = court
    return props


def check_code_fits_form(code: str, form: str) -> None:
    """Refuse an ICCS purpose code that says another purpose than the form of exploitation
    (02041, sexual exploitation, with forced labour): the conviction would be counted under
    one form in the GLOTIP tables and coded under another. 0204 fits every form. The
    message names both fields; it starts with ``offence_code``, the field a form marks."""
    allowed = FORM_CODES.get(form, frozenset(OFFENCE_CODES))
    if code == "0204" or code in allowed:
        return
    fits = ", ".join(OFFENCE_CODES[c] for c in ("0204", *sorted(allowed)))
    raise ValueError(
        f"offence_code: ICCS {OFFENCE_CODES[code]} does not fit the exploitation_form "
        f"{form!r}; for {form!r} use {fits}, or change the form of exploitation"
    )


def record_court_outcome(
    store: Store, viewer: Viewer, values: CourtOutcomeInput, sharing: Sharing | None = None
) -> str:
    """Write one court outcome as the viewer's agency; returns its id (the write is
    audited as every store write). Refusals: AccessDenied without a data role, NotVisible
    for a defendant the viewer cannot read, ValueError naming the field otherwise."""
    viewer.require_data_role("record a court outcome")
    props = check(values)
    defendant = store.entity(viewer, str(props["defendant"]), purpose=None)
    if defendant is None or defendant.schema != "Person":
        raise NotVisible(f"defendant: no person {values.defendant[:80]!r} you can read")
    if viewer.agency not in defendant.agencies:
        raise ValueError(
            f"defendant: {defendant.id} is not a person record of {viewer.agency}; the GLOTIP "
            "submission counts only the agency's own records, so record the person first"
        )
    return write_entity(
        store, viewer, "CourtOutcome", props, sharing or Sharing.owner_only(), kind="court"
    )
