"""A report from the CTDC loader's output matches counts checked by hand on the fixture."""

from __future__ import annotations

from pathlib import Path

from palermo.analysis.report import render_html, victim_statistics
from palermo.datasets.ctdc import load_ctdc_global

FIXTURE = Path(__file__).parent.parent / "data" / "datasets" / "ctdc_global_sample.csv"


def test_ctdc_report_counts_match_the_hand_checked_fixture() -> None:
    stats = victim_statistics(load_ctdc_global(FIXTURE))
    # Counted by hand from the ten rows of tests/data/datasets/ctdc_global_sample.csv:
    assert stats.total == 10
    assert stats.by_form == {
        "Forced labour": 6,
        "Sexual exploitation": 3,
        "Other forms of exploitation": 1,
        "Not reported": 1,
    }
    assert stats.by_sex == {"female": 5, "male": 3, "other": 1, "unknown": 1}
    assert stats.by_age == {"adults": 7, "children": 2, "unknown": 1}
    assert stats.by_country["my"] == 2 and stats.by_country["unknown"] == 1
    page = render_html(stats, "CTDC sample", "CTDC global synthetic format")
    assert "<caption>Detected victims by form of exploitation</caption>" in page
    assert "<th scope='row'>Forced labour</th><td>6</td><td>60.0%</td>" in page
