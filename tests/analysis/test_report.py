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


def _report_with_long_title() -> tuple[str, bytes]:
    from collections import Counter

    from palermo.analysis.report import ReportData, render_pdf
    from palermo.analysis.statistics import SuspectStatistics, VictimStatistics

    countries = ["UA", "NG", "TH", "VN", "CN", "RO", "BG", "MD", "AL", "ER", "SY", "AF"] * 4
    victims = VictimStatistics(
        total=212,
        by_form=Counter({"Sexual exploitation": 90, "Forced labour": 80, "Other": 42}),
        by_sex=Counter({"female": 120, "male": 92}),
        by_age=Counter({"adults": 170, "children": 42}),
        by_sex_age=Counter({"women": 100, "men": 70, "girls": 20, "boys": 22}),
        by_country=Counter({"DE": 100, "NL": 112}),
        by_citizenship=Counter({f"{c}{i}": 5 + i for i, c in enumerate(countries)}),
        by_year=Counter({"2025": 50, "2024": 40, "2022": 35, "2023": 30, "2021": 57}),
    )
    suspects = SuspectStatistics(total=48, by_sex=Counter({"male": 30, "female": 18}))
    title = (
        "Trafficking in persons across the EU and South-East Asia: detected victims, "
        "suspects and routes for 2021 to 2025, DE-BKA"
    )
    data = ReportData(title, "records visible to DE-BKA", victims, suspects, [("UA -> PL", 3)])
    return title, render_pdf(data)


def test_finding_15_pdf_report_is_a4_with_a_full_first_page_and_a_wrapped_title() -> None:
    import io

    from pypdf import PdfReader

    title, pdf = _report_with_long_title()
    assert len(title) == 120
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 2  # a 48-row table cannot fit on page 1 with the charts
    for page in pages:  # every page A4, whatever it holds
        assert round(float(page.mediabox.width)) == 595
        assert round(float(page.mediabox.height)) == 842
    first = pages[0].extract_text()
    # page 1 carries the key numbers and the first charts, not the title alone
    assert "212 victim records, 48 suspects" in " ".join(first.split())
    assert "Detected victims by form of exploitation" in first
    assert "Detected victims by sex and age group" in first
    assert "Sexual exploitation" in first and "women" in first
    # the long title is wrapped onto several lines, every word of it on the page
    assert title not in first and " ".join(first.split()).count(title) == 1
    text = " ".join(" ".join(p.extract_text() for p in pages).split())
    assert "UA -> PL" in text and "48 suspects" in text
    # the table over years reads in calendar order, not by count
    years = text[text.index("Detected victims by year") :]
    assert [years.index(y) for y in ("2021", "2022", "2023", "2024", "2025")] == sorted(
        years.index(y) for y in ("2021", "2022", "2023", "2024", "2025")
    )
