"""Which evidence cross-referencing weighs, per deployment (ADR 0014).

A node's records decide what is worth comparing: an NGO's case files carry birth places and
occupations, a border agency's carry documents and little else. `XrefModel` names the
comparisons the resolver builds (and, per comparison, which of its levels), and the fields
whose levels are adjusted for how common a value is (Splink's term-frequency adjustments,
computed from the records being resolved: what the running viewer may see). The defaults
use everything an FtM Person holds that bears on identity; a deployment narrows or changes
them with a YAML file named by `PALERMO_XREF_MODEL`:

    comparisons:              # a list (every level) or comparison -> levels kept
      name: all
      birth_date: [exact, swapped, day_month, one_edit]
      document: all
      birth_place: [exact]
    term_frequencies: [family_name, given_name, birth_place]

The model only says what to compare; how (SQL, priors, cross-script similarity) stays in
`match.xref`, so the DuckDB and Spark engines keep running one settings object. A bad file
is one line naming the key and the reason (`XrefModelError`), never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

# comparison -> its levels, strongest first (the null and "else" levels always exist)
LEVELS: dict[str, tuple[str, ...]] = {
    "name": (
        "same",
        "very_similar",
        "similar",
        "somewhat_similar",
        "family_same",
        "given_same",
        "one_part",
    ),
    "birth_date": ("exact", "swapped", "day_month", "one_edit"),
    "document": ("exact", "misread"),
    "address": ("exact", "very_similar", "similar"),
    "phone": ("same",),
    "contact": ("same",),  # e-mail addresses and bank accounts
    "nationality": ("same",),
    "sex": ("same",),
    "birth_place": ("exact", "similar"),
    "occupation": ("same",),
}
# field -> (comparison, level) its term-frequency adjustment applies to
TF_FIELDS: dict[str, tuple[str, str]] = {
    "name": ("name", "same"),
    "family_name": ("name", "family_same"),
    "given_name": ("name", "given_same"),
    "birth_place": ("birth_place", "exact"),
    "occupation": ("occupation", "same"),
    "nationality": ("nationality", "same"),
    "address": ("address", "exact"),
}
DEFAULT_TF = ("family_name", "given_name", "birth_place", "occupation")
ENV = "PALERMO_XREF_MODEL"


class XrefModelError(ValueError):
    """A model configuration that cannot be used; the message is one line."""


@dataclass(frozen=True)
class XrefModel:
    """The comparisons (each with the levels it keeps) and the term-frequency fields."""

    comparisons: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(LEVELS))
    term_frequencies: tuple[str, ...] = DEFAULT_TF

    def __post_init__(self) -> None:
        _check(self)

    def uses(self, comparison: str, level: str | None = None) -> bool:
        kept = self.comparisons.get(comparison)
        return kept is not None and (level is None or level in kept)

    def tf(self, tf_field: str) -> bool:
        """Does `tf_field` adjust its level (and is that level in the model)?"""
        return tf_field in self.term_frequencies and self.uses(*TF_FIELDS[tf_field])

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.comparisons.items())), self.term_frequencies))


def _check(model: XrefModel) -> None:
    for name, levels in model.comparisons.items():
        if name not in LEVELS:
            raise XrefModelError(
                f"xref model: comparisons: unknown comparison {name!r} (known: {', '.join(LEVELS)})"
            )
        for level in levels:
            if level not in LEVELS[name]:
                raise XrefModelError(
                    f"xref model: comparisons.{name}: unknown level {level!r} "
                    f"(known: {', '.join(LEVELS[name])})"
                )
    if "name" not in model.comparisons:
        raise XrefModelError("xref model: comparisons: 'name' is required (blocking rests on it)")
    for tf_field in model.term_frequencies:
        if tf_field not in TF_FIELDS:
            raise XrefModelError(
                f"xref model: term_frequencies: unknown field {tf_field!r} "
                f"(known: {', '.join(TF_FIELDS)})"
            )


DEFAULT = XrefModel()


def model_from_mapping(data: Any, where: str = "xref model") -> XrefModel:
    """An `XrefModel` from parsed YAML/JSON (see the module docstring for the shape)."""
    if data is None:
        return DEFAULT
    if not isinstance(data, Mapping):
        raise XrefModelError(
            f"{where}: expected a mapping with 'comparisons' and/or 'term_frequencies'"
        )
    unknown = set(data) - {"comparisons", "term_frequencies"}
    if unknown:
        raise XrefModelError(
            f"{where}: unknown key {sorted(unknown)[0]!r} (known: comparisons, term_frequencies)"
        )
    comparisons = _comparisons(data.get("comparisons", dict(LEVELS)), where)
    tf = data.get("term_frequencies", list(DEFAULT_TF))
    if not isinstance(tf, list) or not all(isinstance(t, str) for t in tf):
        raise XrefModelError(f"{where}: term_frequencies: expected a list of field names")
    return XrefModel(comparisons, tuple(tf))


def _comparisons(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if isinstance(value, list):
        value = {name: "all" for name in value}
    if not isinstance(value, Mapping):
        raise XrefModelError(f"{where}: comparisons: expected a list or a mapping of names")
    out: dict[str, tuple[str, ...]] = {}
    for name, levels in value.items():
        if not isinstance(name, str) or name not in LEVELS:
            raise XrefModelError(
                f"{where}: comparisons: unknown comparison {name!r} (known: {', '.join(LEVELS)})"
            )
        if levels in ("all", None):
            out[name] = LEVELS[name]
        elif isinstance(levels, list | tuple) and all(isinstance(lv, str) for lv in levels):
            out[name] = tuple(levels)
        else:
            raise XrefModelError(f"{where}: comparisons.{name}: expected 'all' or a list of levels")
    return out


def load_model(path: str | Path) -> XrefModel:
    """Read a deployment's model file; any problem is one `XrefModelError` line."""
    where = f"xref model {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise XrefModelError(f"{where}: cannot read ({exc.strerror or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise XrefModelError(f"{where}:{line} not valid YAML") from None
    try:
        return model_from_mapping(data, where)
    except XrefModelError as exc:
        message = str(exc)
        if not message.startswith(where):  # checks in XrefModel name the model generically
            message = message.replace("xref model", where, 1)
        raise XrefModelError(message) from None


def deployment_model() -> XrefModel:
    """The node's model: the file `PALERMO_XREF_MODEL` names, else the defaults."""
    return _cached(os.environ.get(ENV) or "")


@lru_cache(maxsize=8)
def _cached(path: str) -> XrefModel:
    return load_model(path) if path else DEFAULT
