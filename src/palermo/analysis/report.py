"""A Global-Report-style report per country or region: tables and charts, HTML and PDF.

The HTML carries its charts as inline SVG and the PDF is drawn by matplotlib, so a report
renders on a closed network with nothing fetched. Both come from one `ReportData`, so the
numbers in the two formats cannot disagree.

Titles and category labels come from users and other agencies' data, so matplotlib never
parses them as mathtext (``text.parse_math`` off, ``text.usetex`` off for every figure): a
``$`` is printed as a dollar sign, not handed to the mathtext parser.
"""

from __future__ import annotations

import html
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages

from palermo.analysis.statistics import (
    SuspectStatistics,
    VictimStatistics,
    suspect_statistics,
    victim_statistics,
)

__all__ = ["ReportData", "build_report", "render_html", "render_pdf", "victim_statistics"]


@dataclass
class ReportData:
    title: str
    source: str
    victims: VictimStatistics
    suspects: SuspectStatistics = field(default_factory=SuspectStatistics)
    routes: list[tuple[str, int]] = field(default_factory=list)

    def tables(self) -> list[tuple[str, str, Counter[str], int]]:
        """(caption, unit, counts, total) for every table the report shows."""
        v, s = self.victims, self.suspects
        out = [
            ("Detected victims by form of exploitation", "victims", v.by_form, v.total),
            ("Detected victims by sex and age group", "victims", v.by_sex_age, v.total),
            ("Detected victims by sex", "victims", v.by_sex, v.total),
            ("Detected victims by age group", "victims", v.by_age, v.total),
            ("Detected victims by country of exploitation", "victims", v.by_country, v.total),
            ("Detected victims by citizenship", "victims", v.by_citizenship, v.total),
            ("Detected victims by year", "victims", v.by_year, v.total),
        ]
        if s.total:
            out += [
                ("Suspects by sex", "suspects", s.by_sex, s.total),
                ("Suspects by citizenship", "suspects", s.by_citizenship, s.total),
            ]
        if self.routes:
            total = sum(n for _, n in self.routes)
            caption = "Top routes (origin -> transit -> destination)"
            out.append((caption, "flows", Counter(dict(self.routes)), total))
        return out


def build_report(
    entities: Iterable[Mapping[str, Any]],
    title: str,
    source: str,
    routes: list[tuple[str, int]] | None = None,
) -> ReportData:
    items = list(entities)
    return ReportData(
        title, source, victim_statistics(items), suspect_statistics(items), routes or []
    )


def _ordered(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _html_table(caption: str, unit: str, counts: Counter[str], total: int) -> str:
    rows = "".join(
        f"<tr><th scope='row'>{html.escape(k)}</th><td>{v}</td><td>{100 * v / total:.1f}%</td></tr>"
        for k, v in _ordered(counts)
    )
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead><tr><th>category</th>"
        f"<th>{unit}</th><th>share</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _plain_text() -> AbstractContextManager[None]:
    """Plain text only: user and partner text must not reach the mathtext or LaTeX parsers."""
    return plt.rc_context({"text.parse_math": False, "text.usetex": False})


def _figure(caption: str, counts: Counter[str], chronological: bool = False) -> Any:
    with _plain_text():
        return _draw(caption, counts, chronological)


def _draw(caption: str, counts: Counter[str], chronological: bool) -> Any:
    items = sorted(counts.items()) if chronological else _ordered(counts)[:12]
    fig, ax = plt.subplots(figsize=(6.5, 2.8))
    labels, values = [k for k, _ in items], [v for _, v in items]
    if chronological:
        ax.plot(labels, values, marker="o", color="#1f4e79")
    else:
        ax.barh(labels[::-1], values[::-1], color="#1f4e79")
    ax.set_title(caption, fontsize=10)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    return fig


def _svg(caption: str, counts: Counter[str], chronological: bool = False) -> str:
    fig = _figure(caption, counts, chronological)
    buffer = io.StringIO()
    with _plain_text():
        fig.savefig(buffer, format="svg")
    plt.close(fig)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :].replace("<svg", f"<svg role='img' aria-label='{caption}'", 1)


def render_html(stats: VictimStatistics | ReportData, title: str = "", source: str = "") -> str:
    data = stats if isinstance(stats, ReportData) else ReportData(title, source, stats)
    charts = [
        _svg("Detected victims by form of exploitation", data.victims.by_form),
        _svg("Detected victims by sex and age group", data.victims.by_sex_age),
    ]
    if len([y for y in data.victims.by_year if y != "unknown"]) > 1:
        years = Counter({y: n for y, n in data.victims.by_year.items() if y != "unknown"})
        charts.append(_svg("Detected victims per year", years, chronological=True))
    tables = [_html_table(*t) for t in data.tables()]
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>"
        f"{html.escape(data.title)}</title></head><body><h1>{html.escape(data.title)}</h1>"
        f"<p>{data.victims.total} victim records, {data.suspects.total} suspects. Source: "
        f"{html.escape(data.source)}. A victim may appear under several forms of exploitation."
        f"</p><figure>{''.join(charts)}</figure>{''.join(tables)}</body></html>"
    )


def render_pdf(data: ReportData) -> bytes:
    """The same report as a PDF: a cover with the key numbers, charts, then the tables."""
    buffer = io.BytesIO()
    with _plain_text(), PdfPages(buffer) as pdf:
        cover = plt.figure(figsize=(8.27, 11.69))
        cover.text(0.08, 0.92, data.title, fontsize=18, weight="bold", parse_math=False)
        cover.text(0.08, 0.88, f"Source: {data.source}", fontsize=9, parse_math=False)
        cover.text(0.08, 0.85, f"{data.victims.total} victim records", fontsize=11)
        cover.text(0.08, 0.83, f"{data.suspects.total} suspects", fontsize=11)
        pdf.savefig(cover)
        plt.close(cover)
        for caption, counts in (
            ("Detected victims by form of exploitation", data.victims.by_form),
            ("Detected victims by sex and age group", data.victims.by_sex_age),
        ):
            fig = _figure(caption, counts)
            pdf.savefig(fig)
            plt.close(fig)
        for caption, unit, counts, total in data.tables():
            rows = [[k, str(v), f"{100 * v / total:.1f}%"] for k, v in _ordered(counts)[:30]]
            fig, ax = plt.subplots(figsize=(8.27, 0.6 + 0.28 * (len(rows) + 2)))
            ax.axis("off")
            ax.set_title(caption, fontsize=10, loc="left")
            if rows:
                ax.table(cellText=rows, colLabels=["category", unit, "share"], loc="upper left")
            pdf.savefig(fig)
            plt.close(fig)
    return buffer.getvalue()
