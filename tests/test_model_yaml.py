"""palermo's model reads FtM's and its own schema YAML with libyaml's loader (start-up
time): the model must be exactly the one the pure-Python safe loader gives."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from followthemoney.exc import InvalidModel

import palermo.model.schemata as schemata


def test_the_c_loader_builds_the_same_model(monkeypatch: pytest.MonkeyPatch) -> None:
    if hasattr(yaml, "CSafeLoader"):
        assert schemata._LOADER is yaml.CSafeLoader
    fast = schemata.PalermoModel()
    monkeypatch.setattr(schemata, "_LOADER", yaml.SafeLoader)
    slow = schemata.PalermoModel()
    assert fast.to_dict() == slow.to_dict()
    assert "VictimRecord" in fast.schemata and "Person" in fast.schemata  # both folders read


def test_a_schema_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "Bad.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(InvalidModel, match="not a mapping"):
        schemata.model._load(str(bad))
