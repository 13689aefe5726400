"""Court outcomes of the world's suspects: who was prosecuted, and convicted, and when.

A police or labour agency that holds a suspect's record also learns what the courts did
with the person: prosecuted (charged) some months after the network was active, then
convicted, acquitted or still pending. Each network draws these on its own random stream,
``Random(f"{seed}:{n}:court")``, after the whole world is written, so that adding court
outcomes left every other record of a seed exactly as it was (other tests and benches
depend on those bytes). The truth (`truth/court.csv`) says what each record says, so
tests can count persons prosecuted and convicted independently of palermo's reading.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from palermo.world.agencies import AgencySpec
from palermo.world.people import TruePerson
from palermo.world.views import Record, Scene, sharing

# Agencies whose suspect records carry the trafficking topic, and so whose suspects go to court.
PROSECUTING_KINDS = ("police", "labour")
PROSECUTED = 0.55  # share of held suspects charged before a court
VERDICTS = ("convicted", "acquitted", "pending")
VERDICT_WEIGHTS = (0.6, 0.15, 0.25)
PRESENT = date(2025, 12, 31)  # the world's present: no verdict falls after it
COURT_HEADER = (
    "agency", "record_id", "defendant_record", "true_id", "network_id", "sex",
    "prosecution_date", "verdict", "verdict_date", "offence_code",
)  # fmt: skip


def offence_code(form: str) -> str:
    """The ICCS code of trafficking in persons for a form of exploitation (0204x)."""
    if form.startswith("sexual"):
        return "02041"
    if form.startswith("forced-labour"):
        return "02042"
    if form == "organ-removal":
        return "02043"
    return "02044"


@dataclass(frozen=True)
class Defendant:
    """A suspect an agency holds, with what the court draw needs of the network."""

    agency: AgencySpec
    person: TruePerson
    local: str  # the agency's record id of the person
    year: int  # the network's year
    form: str


def _date(rng: random.Random, year: int) -> date:
    return date(year, rng.randint(1, 12), rng.randint(1, 28))


def court_outcome(rng: random.Random, scene: Scene, d: Defendant) -> Record | None:
    """The agency's court-outcome record of one suspect, or None when never prosecuted."""
    if rng.random() >= PROSECUTED:
        return None
    prosecuted = _date(rng, min(PRESENT.year, d.year + rng.choice((0, 1, 1, 2))))
    verdict = rng.choices(VERDICTS, weights=VERDICT_WEIGHTS)[0]
    decided = prosecuted + timedelta(days=rng.randint(30, 540))
    if decided > PRESENT:  # the trial has not ended yet
        verdict = "pending"
    props = {
        "defendant": [d.local],
        "offenceCode": [offence_code(d.form)],
        "exploitationForm": [d.form],
        "prosecutionDate": [prosecuted.isoformat()],
        "verdict": [verdict],
    }
    if verdict != "pending":
        props["verdictDate"] = [decided.isoformat()]
    return {
        "id": scene.opaque_id(d.agency, "CO", d.local),
        "schema": "CourtOutcome",
        "sharing": sharing(rng, d.agency),
        "properties": props,
    }


def truth_row(record: Record, d: Defendant) -> list[str]:
    """The row of truth/court.csv for one court-outcome record (COURT_HEADER)."""
    props = record["properties"]
    return [
        d.agency.code, record["id"], d.local, d.person.id, d.person.network, d.person.sex,
        props["prosecutionDate"][0], props["verdict"][0], props.get("verdictDate", [""])[0],
        props["offenceCode"][0],
    ]  # fmt: skip
