"""The per-deployment cross-referencing model (`match.xref_model`, ADR 0014): defaults that
use every field, a YAML file that narrows them, and one-line errors for a bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from palermo.match import xref_model
from palermo.match.xref import XrefRecord, comparisons, resolve, settings
from palermo.match.xref_model import (
    DEFAULT,
    LEVELS,
    XrefModel,
    XrefModelError,
    deployment_model,
    load_model,
)


def names_of(model: XrefModel) -> list[str]:
    return [c.get_comparison("duckdb").output_column_name for c in comparisons(model)]


def labels(model: XrefModel, output: str) -> list[str]:
    comparison = next(
        c.get_comparison("duckdb")
        for c in comparisons(model)
        if c.get_comparison("duckdb").output_column_name == output
    )
    return [lv.label_for_charts for lv in comparison.comparison_levels]


def test_the_default_model_compares_everything_with_term_frequencies() -> None:
    assert names_of(DEFAULT) == [
        "name",
        "dob",
        "document",
        "address",
        "phone",
        "nationality",
        "sex",
        "birth_place",
        "occupation",
        "contact",
    ]
    tf = {
        lv["tf_adjustment_column"]
        for c in settings(model=DEFAULT).get_settings("duckdb").as_dict()["comparisons"]
        for lv in c["comparison_levels"]
        if "tf_adjustment_column" in lv
    }
    assert tf == {"family", "given", "birth_place", "occupation"}


def test_a_yaml_file_narrows_comparisons_levels_and_term_frequencies(tmp_path: Path) -> None:
    path = tmp_path / "xref.yaml"
    path.write_text(
        "comparisons:\n"
        "  name: all\n"
        "  birth_date: [exact, swapped]\n"
        "  birth_place: [exact]\n"
        "term_frequencies: [birth_place]\n",
        encoding="utf-8",
    )
    model = load_model(path)
    assert names_of(model) == ["name", "dob", "birth_place"]
    assert labels(model, "dob") == ["null", "exact", "day/month swapped", "else"]
    assert labels(model, "birth_place") == ["null", "exact", "else"]
    assert model.tf("birth_place") and not model.tf("family_name")
    # and the narrowed model resolves (the priors of dropped levels renormalised)
    records = [
        XrefRecord("a", "X", ("Ivan Petrov",), "1980-02-03", birth_place="Odesa"),
        XrefRecord("b", "Y", ("Иван Петров",), "1980-03-02", birth_place="Odessa"),
        XrefRecord("c", "Y", ("Olga Berg",), "1970-01-01"),
    ]
    result = resolve(records, threshold=0.5, model=model)
    assert ["a", "b"] in result.clusters and ["c"] in result.clusters


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("comparisons: [name, birthplace]\n", "comparisons: unknown comparison 'birthplace'"),
        (
            "comparisons:\n  name: all\n  birth_date: [exact, fuzzy]\n",
            "comparisons.birth_date: unknown level 'fuzzy'",
        ),
        ("term_frequencies: [surname]\n", "term_frequencies: unknown field 'surname'"),
        ("comparisons: [birth_date]\n", "'name' is required"),
        ("comparison: [name]\n", "unknown key 'comparison'"),
        ("comparisons: [name\n", "not valid YAML"),
        ("- name\n", "expected a mapping"),
    ],
)
def test_a_bad_model_file_is_one_line_naming_field_and_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "xref.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(XrefModelError) as caught:
        load_model(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"xref model {path}")
    assert "\n" not in str(caught.value)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(XrefModelError, match="cannot read"):
        load_model(tmp_path / "nope.yaml")


def test_the_deployment_model_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "xref.yaml"
    path.write_text("comparisons: [name, birth_date]\nterm_frequencies: []\n", encoding="utf-8")
    monkeypatch.setenv(xref_model.ENV, str(path))
    assert deployment_model().comparisons == {
        "name": LEVELS["name"],
        "birth_date": LEVELS["birth_date"],
    }
    assert names_of(deployment_model()) == ["name", "dob"]
    monkeypatch.delenv(xref_model.ENV)
    assert deployment_model() == DEFAULT


def test_a_model_built_in_code_is_checked_too() -> None:
    with pytest.raises(XrefModelError, match="unknown level 'exactly'"):
        XrefModel({"name": ("same",), "document": ("exactly",)})
