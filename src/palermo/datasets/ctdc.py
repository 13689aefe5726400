"""Counter Trafficking Data Collaborative (CTDC) data into palermo entities.

Two formats:
- the **global synthetic victim data set** (codebook v2024, 27 variables, one row per victim,
  binary flags left empty when not observed), mapped to a `Person` and a `VictimRecord`;
- the **victim-perpetrator synthetic data set** (condensed, 16 columns, regions rather than
  countries, multi-valued cells joined by ';'), mapped to a victim `Person`, her
  `VictimRecord`, a perpetrator `Person` and the `Associate` link between them.

Both yield entity dicts in palermo's import format, so `palermo import` (or `import_file`)
stores them like any agency file. Mapping tables are in `ctdc_mapping.yaml` beside this file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from followthemoney.types import registry

MAPPING_FILE = Path(__file__).parent / "ctdc_mapping.yaml"
GLOBAL_COLUMNS = (
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "traffickMonths",
    "meansDebtBondageEarnings",
    "meansThreats",
    "meansAbusePsyPhySex",
    "meansFalsePromises",
    "meansDrugsAlcohol",
    "meansDenyBasicNeeds",
    "meansExcessiveWorkHours",
    "meansWithholdDocs",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "typeOfLabourAgriculture",
    "typeOfLabourConstruction",
    "typeOfLabourDomesticWork",
    "typeOfLabourHospitality",
    "typeOfSexProstitution",
    "typeOfSexPornography",
    "recruiterRelationIntimatePartner",
    "recruiterRelationFriend",
    "recruiterRelationFamily",
    "recruiterRelationOther",
)
MINOR_BANDS = ("0--8", "9--17")
Entity = dict[str, Any]


class CtdcError(ValueError):
    """A file or row that does not follow the format; names the line and column."""


@cache
def mapping() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MAPPING_FILE.read_text(encoding="utf-8"))
    return data


def _flag(row: dict[str, str], column: str) -> bool:
    return (row.get(column) or "").strip() == "1"


def _band(value: str) -> str:
    """Normalise '9—17', '9-17' and '9--17' (codebook, exports) to '9--17'."""
    return re.sub(r"(?<=\d)\s*[-\u2013\u2014]+\s*(?=\d)", "--", value.strip(), count=1)


def _country(value: str) -> str | None:
    value = value.strip()
    if not value or value.upper() == "NULL":
        return None
    return registry.country.clean(value)


def _open(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise CtdcError(f"{path.name}: missing columns {', '.join(missing)}")
        for number, row in enumerate(reader, start=2):
            yield (
                number,
                {
                    k: ("" if v is None or v.upper() == "NULL" else v)
                    for k, v in row.items()
                    if k is not None
                },
            )


def load_ctdc_global(path: Path, prefix: str = "ctdc") -> Iterator[Entity]:
    """Person + VictimRecord per row of a global synthetic data set file."""
    codes = mapping()
    for number, row in _open(path, GLOBAL_COLUMNS):
        person_id = f"{prefix}-{number}"
        person: dict[str, list[str]] = {}
        gender = codes["gender"].get(row["gender"].strip())
        if gender:
            person["gender"] = [gender]
        citizenship = _country(row["citizenship"])
        if citizenship:
            person["nationality"] = [citizenship]
        yield {"id": person_id, "schema": "Person", "properties": person}
        yield {
            "id": f"{person_id}-vr",
            "schema": "VictimRecord",
            "properties": _victim_props(row, person_id, codes, number),
        }


def _victim_props(
    row: dict[str, str], person_id: str, codes: dict[str, Any], number: int
) -> dict[str, list[str]]:
    props: dict[str, list[str]] = {"victim": [person_id], "identificationStatus": ["identified"]}
    year = row["yearOfRegistration"].strip()
    if year:
        if not year.isdigit():
            raise CtdcError(f"line {number}: yearOfRegistration: {year!r} is not a year")
        props["registrationYear"] = [year]
    age = _band(row["ageBroad"])
    if age:
        props["ageBand"] = [age]
        props["isMinor"] = ["true" if age in MINOR_BANDS else "false"]
    country = _country(row["CountryOfExploitation"])
    if country:
        props["exploitationCountry"] = [country]
    if row["traffickMonths"].strip():
        props["durationMonths"] = [_band(row["traffickMonths"])]
    forms = [form for column, form in codes["forms"].items() if _flag(row, column)]
    if _flag(row, "isForcedLabour") and not any(f.startswith("forced-labour") for f in forms):
        forms.append("forced-labour")
    if _flag(row, "isSexualExploit") and not any(f.startswith("sexual") for f in forms):
        forms.append("sexual")
    if _flag(row, "isOtherExploit"):
        forms.append("other")
    if forms:
        props["exploitationForm"] = sorted(set(forms))
    indicators = sorted(
        {i for column, ids in codes["means"].items() if _flag(row, column) for i in ids}
    )
    if indicators:
        props["indicators"] = indicators
    relations = [rel for column, rel in codes["recruiter"].items() if _flag(row, column)]
    if relations:
        props["recruiterRelation"] = relations
    return props


VP_COLUMNS = (
    "yearRegister",
    "gender",
    "majorityStatus",
    "isForcedLabour",
    "isSexualExploit",
    "UN_COO_Region",
    "UN_COE_Region",
    "IP_Exploiter",
    "IP_Gender",
    "IP_ageBroad",
    "IP_citizen_UNRegion",
    "IP_Relation",
    "IP_PayMoney",
    "IP_RecruiterBroker",
    "IP_TransactionProcess",
    "IP_ControlAbuseKidnap",
)


def load_ctdc_vp(path: Path, prefix: str = "ctdc-vp") -> Iterator[Entity]:
    """Victim, her record, the perpetrator profile and their link, per condensed VP row."""
    codes = mapping()
    for number, row in _open(path, VP_COLUMNS):
        victim_id, perp_id = f"{prefix}-{number}-v", f"{prefix}-{number}-p"
        victim: dict[str, list[str]] = {}
        gender = codes["gender"].get(row["gender"].strip())
        if gender:
            victim["gender"] = [gender]
        yield {"id": victim_id, "schema": "Person", "properties": victim}
        record: dict[str, list[str]] = {
            "victim": [victim_id],
            "identificationStatus": ["identified"],
        }
        forms = (["forced-labour"] if _flag(row, "isForcedLabour") else []) + (
            ["sexual"] if _flag(row, "isSexualExploit") else []
        )
        if forms:
            record["exploitationForm"] = forms
        if row["majorityStatus"].strip():
            record["isMinor"] = ["true" if row["majorityStatus"].strip() == "Minor" else "false"]
        if row["yearRegister"].strip():
            record["registrationYear"] = [row["yearRegister"].strip()]
        for column, prop in (
            ("UN_COO_Region", "recruitmentPlace"),
            ("UN_COE_Region", "exploitationPlace"),
        ):
            if row[column].strip():
                record[prop] = [row[column].strip()]
        yield {"id": f"{victim_id}r", "schema": "VictimRecord", "properties": record}
        yield {"id": perp_id, "schema": "Person", "properties": _perpetrator(row, codes)}
        relation = [r for r in row["IP_Relation"].split(";") if r.strip()]
        yield {
            "id": f"{prefix}-{number}-a",
            "schema": "Associate",
            "properties": {
                "person": [perp_id],
                "associate": [victim_id],
                "relationship": relation or ["unknown"],
            },
        }


def _perpetrator(row: dict[str, str], codes: dict[str, Any]) -> dict[str, list[str]]:
    props: dict[str, list[str]] = {"topics": ["crime.traffick.human"]}
    genders = {codes["gender"].get(g.strip()) for g in row["IP_Gender"].split(";")} - {None}
    if len(genders) == 1:
        props["gender"] = [str(next(iter(genders)))]
    roles = [label for column, label in codes["perpetrator_roles"].items() if _flag(row, column)]
    notes = [f"role: {r}" for r in roles]
    if row["IP_citizen_UNRegion"].strip():
        notes.append(f"citizenship region: {row['IP_citizen_UNRegion'].strip()}")
    if row["IP_ageBroad"].strip():
        notes.append(f"age: {row['IP_ageBroad'].strip()}")
    if notes:
        props["notes"] = ["; ".join(notes)]
    return props
