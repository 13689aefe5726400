"""The hand-entry check of a court outcome, applied to an imported one (issue 20, ADR 0028).

A `CourtOutcome` written through the web form or the API passes `coordination.court.check`
(the ICCS code against the form of exploitation, a verdict date not before the prosecution
date and none in the future, a pending case without a verdict date). An imported one used to
pass only the model's type check, so a file could load a conviction coded 02041 (sexual
exploitation) for forced labour, or decided before it was prosecuted, and the GLOTIP
submission would count it under the wrong form or year. Here an imported outcome's cleaned
values go through the same check; a refusal is a `RowProblem` naming the property as the
file names it (``offenceCode``, ``verdictDate``), so the import reports it as any bad row:
file, line, field, reason; the other rows still load in ``skip-bad`` mode.

Each checked property takes one value: two verdicts or two prosecution dates on one outcome
cannot both be counted, and the check would have to pick one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from palermo.coordination import court
from palermo.ingest.errors import RowProblem
from palermo.model.statement import Statement

# the check's field names (those of the form and the API body) -> the schema's properties
PROPS: dict[str, str] = {
    "defendant": "defendant",
    "verdict": "verdict",
    "prosecution_date": "prosecutionDate",
    "verdict_date": "verdictDate",
    "offence_code": "offenceCode",
    "exploitation_form": "exploitationForm",
    "court": "court",
}
DEFAULTS = {"offence_code": "0204"}  # the form's default when a file gives no code


def check_court_rows(statements: Iterable[Statement], today: date | None = None) -> None:
    """Refuse an imported court outcome that the hand-entry check refuses, as a
    `RowProblem` naming the property; return quietly when it passes."""
    values: dict[str, list[str]] = {}
    for s in statements:
        values.setdefault(s.prop, []).append(s.value)
    typed: dict[str, str] = {}
    for field, prop in PROPS.items():
        found = values.get(prop, [])
        if len(found) > 1:
            raise RowProblem(prop, f"a court outcome takes one {prop}, not {len(found)}")
        typed[field] = found[0] if found else DEFAULTS.get(field, "")
    try:
        court.check(court.CourtOutcomeInput(**typed), today)
    except ValueError as exc:
        field, _, reason = str(exc).partition(": ")
        for name, prop in PROPS.items():  # the file's names, not the form's
            reason = reason.replace(name, prop)
        raise RowProblem(PROPS.get(field, field), reason) from None
