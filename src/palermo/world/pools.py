"""Name pools: each name in its native script with the Latin spellings seen in practice.

The names live in `names/<country>.yaml`, one file per culture, like followthemoney keeps
its schema in YAML: they are data that people who know the languages should be able to
review without reading Python. They are hand-written on purpose: they pair a native form
with the transliterations different agencies really produce (national standards, English,
German, French, passport conventions), which a transliteration library alone cannot give.
The first Latin form is the passport (MRZ) one.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

Name = tuple[str, tuple[str, ...]]  # (native script, Latin variants)


@dataclass(frozen=True)
class Culture:
    code: str
    script: str
    family_first: bool
    male: tuple[Name, ...]
    female: tuple[Name, ...]
    family: tuple[Name, ...]


def name(entry: str | list[str]) -> Name:
    """A plain string is a Latin-only name, its own single spelling."""
    if isinstance(entry, str):
        return entry, (entry,)
    native, *variants = entry
    return native, tuple(variants) or (native,)


def culture(data: dict[str, Any]) -> Culture:
    return Culture(
        code=data["code"],
        script=data["script"],
        family_first=bool(data["family_first"]),
        male=tuple(name(e) for e in data["male"]),
        female=tuple(name(e) for e in data["female"]),
        family=tuple(name(e) for e in data["family"]),
    )


def load() -> dict[str, Culture]:
    folder = resources.files("palermo.world") / "names"
    cultures = (
        culture(yaml.safe_load(f.read_text(encoding="utf-8")))
        for f in sorted(folder.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".yaml")
    )
    return {c.code: c for c in cultures}


CULTURES: dict[str, Culture] = load()
