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
from functools import cache
from typing import TYPE_CHECKING, Any

from palermo.analysis.statistics import (
    SuspectStatistics,
    VictimStatistics,
    suspect_statistics,
    victim_statistics,
)
from palermo.model.handling_merge import Marking, merge
from palermo.model.record_marking import carried_marking

if TYPE_CHECKING:
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.textpath import TextToPath

__all__ = ["ReportData", "build_report", "render_html", "render_pdf", "victim_statistics"]


@cache
def _pyplot() -> Any:
    """pyplot on the Agg backend, imported on first use: matplotlib takes about a second to
    import, which every `palermo` command (all import this module) would otherwise pay."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@dataclass
class ReportData:
    title: str
    source: str
    victims: VictimStatistics
    suspects: SuspectStatistics = field(default_factory=SuspectStatistics)
    routes: list[tuple[str, int]] = field(default_factory=list)
    # merged marking of every record counted (model.record_marking): a table row may rest on any
    handling: str = ""
    # the declared purpose it was produced for: values H0 excludes from it are not used
    purpose: str | None = None

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
            (BY_YEAR, "victims", v.by_year, v.total),
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
    purpose: str | None = None,
) -> ReportData:
    items = list(entities)
    marking = merge(carried_marking(e) for e in items)
    return ReportData(
        title,
        source,
        victim_statistics(items),
        suspect_statistics(items),
        routes or [],
        marking.text,
        purpose,
    )


BY_YEAR = "Detected victims by year"
# The purpose a report is produced for when none is declared: a report is an analysis
# product, so values stated (H0) for other purposes only are left out of it (ADR 0041).
DEFAULT_PURPOSE = "analysis"


def _ordered(counts: Counter[str], chronological: bool = False) -> list[tuple[str, int]]:
    """Largest first, except a table over years, which reads in calendar order."""
    if chronological:
        return sorted(counts.items())
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _html_table(caption: str, unit: str, counts: Counter[str], total: int) -> str:
    rows = "".join(
        f"<tr><th scope='row'>{html.escape(k)}</th><td>{v}</td><td>{100 * v / total:.1f}%</td></tr>"
        for k, v in _ordered(counts, caption == BY_YEAR)
    )
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead><tr><th>category</th>"
        f"<th>{unit}</th><th>share</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _plain_text() -> AbstractContextManager[None]:
    """Plain text only: user and partner text must not reach the mathtext or LaTeX parsers."""
    context: AbstractContextManager[None] = _pyplot().rc_context(
        {"text.parse_math": False, "text.usetex": False}
    )
    return context


def _figure(caption: str, counts: Counter[str], chronological: bool = False) -> Any:
    with _plain_text():
        return _draw(caption, counts, chronological)


def _draw(caption: str, counts: Counter[str], chronological: bool) -> Any:
    items = sorted(counts.items()) if chronological else _ordered(counts)[:12]
    fig, ax = _pyplot().subplots(figsize=(6.5, 2.8))
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
    _pyplot().close(fig)
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
        f"{html.escape(data.title)}</title><style>{_HTML_STYLE}</style></head><body><h1>{html.escape(data.title)}</h1>"
        f"<p>{data.victims.total} victim records, {data.suspects.total} suspects. Source: "
        f"{html.escape(data.source)}. A victim may appear under several forms of exploitation."
        f"</p>{_purpose_note(data)}{_handling_note(data)}<figure>{''.join(charts)}</figure>{''.join(tables)}</body></html>"
    )


def purpose_line(data: ReportData) -> str:
    """The sentence stating the purpose a report was produced for (ADR 0041), or ""."""
    if data.purpose is None:
        return ""
    return (
        f"Produced for the purpose: {data.purpose}. Values whose H0 excludes this purpose "
        "are not used."
    )


def _purpose_note(data: ReportData) -> str:
    line = purpose_line(data)
    return f"<p class='purpose'>{html.escape(line)}</p>" if line else ""


def _handling_note(data: ReportData) -> str:
    """The report's merged handling codes and grade, stated under the title."""
    if not data.handling.strip("|"):
        return ""
    # H0's purposes and H3's restriction texts in words: they apply to every row (ADR 0034)
    text = f"Handling: {Marking.parse(data.handling).words}."
    return f"<p class='handling'>{html.escape(text)}</p>"


def render_pdf(data: ReportData) -> bytes:
    """The same report as a PDF on A4 pages: title, key numbers and the first charts on
    page 1, then the remaining charts and every table, packed top to bottom.

    Every page is A4 (595 x 842 pt) whatever it holds, so the report prints and files like
    any other document; the title is wrapped to the page width because it is the user's own
    text and may be long."""
    buffer = io.BytesIO()
    from matplotlib.backends.backend_pdf import PdfPages

    with _plain_text(), PdfPages(buffer) as pdf:
        flow = _Flow(pdf, "palermo report")
        flow.text(data.title, 18, "bold", space_after=0.08)
        flow.text(f"Source: {data.source}", 9, color="#555555")
        if data.purpose is not None:
            flow.text(purpose_line(data), 9, color="#555555")
        if data.handling.strip("|"):
            flow.text(f"Handling: {Marking.parse(data.handling).words}", 9, color="#555555")
        flow.text(
            f"{data.victims.total} victim records, {data.suspects.total} suspects. "
            "A victim may appear under several forms of exploitation.",
            10,
            space_after=0.2,
        )
        for caption, counts, chronological in _pdf_charts(data):
            flow.chart(caption, counts, chronological)
        for caption, unit, counts, total in data.tables():
            flow.table(caption, unit, _ordered(counts, caption == BY_YEAR), total)
        flow.finish_page()
    return buffer.getvalue()


_HTML_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto}"
    "table{border-collapse:collapse;margin:1.5em 0}"
    "th,td{border:1px solid #999;padding:.2em .6em}td{text-align:right}"
    "caption{font-weight:bold;text-align:left;padding:.3em 0}"
)

A4_INCHES = (210 / 25.4, 297 / 25.4)  # 595 x 842 pt
_PAGE_W, _PAGE_H = A4_INCHES
_MARGIN = 0.8  # inches, every side
_TEXT_WIDTH = _PAGE_W - 2 * _MARGIN
_CHART_HEIGHT = 2.5  # inches, caption included
_TABLE_ROWS = 30  # rows shown per table; the rest is summed up in one line
_ROW_HEIGHT = 0.2  # inches, at 8.5 pt


@cache
def _text_to_path() -> TextToPath:
    from matplotlib.textpath import TextToPath

    return TextToPath()


def _pdf_charts(data: ReportData) -> list[tuple[str, Counter[str], bool]]:
    """The charts of the HTML report, in the same order (the per-year line only with years)."""
    charts = [
        ("Detected victims by form of exploitation", data.victims.by_form, False),
        ("Detected victims by sex and age group", data.victims.by_sex_age, False),
    ]
    years = Counter({y: n for y, n in data.victims.by_year.items() if y.isdigit()})
    if len(years) > 1:  # a year without victims is a zero on the line, not a missing point
        first, last = int(min(years)), int(max(years))
        span = Counter({str(y): years.get(str(y), 0) for y in range(first, last + 1)})
        charts.append(("Detected victims per year", span, True))
    return charts


def _text_width(text: str, size: float, weight: str = "normal") -> float:
    """Width in inches of TEXT as matplotlib draws it, measured rather than guessed from
    the number of characters (a W is wider than an i; scripts differ)."""
    from matplotlib.font_manager import FontProperties

    font = FontProperties(size=size, weight=weight)
    width, _, _ = _text_to_path().get_text_width_height_descent(text, font, ismath=False)
    return float(width) / 72


def wrap(text: str, width: float, size: float, weight: str = "normal") -> list[str]:
    """Greedy word wrap to WIDTH inches; a single word wider than a line is cut between
    characters, so nothing ever runs off the page."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if _text_width(candidate, size, weight) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while _text_width(word, size, weight) > width:
            cut = 1
            while cut < len(word) and _text_width(word[: cut + 1], size, weight) <= width:
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    return [*lines, line] if line else lines or [""]


def _shorten(text: str, width: float, size: float) -> str:
    """TEXT cut with an ellipsis to fit WIDTH inches (chart labels; tables wrap instead)."""
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


class _Flow:
    """Blocks laid down A4 pages from top to bottom; a block that does not fit on what is
    left of a page starts the next page, so no page holds a lone chart on odd paper."""

    def __init__(self, pdf: PdfPages, footer: str) -> None:
        self.pdf: Any = pdf  # matplotlib's PdfPages, untyped
        self.footer = footer
        self.fig: Any = None
        self.top = 0.0  # inches above the page's bottom edge where the next block starts
        self.pages = 0

    def reserve(self, height: float) -> None:
        if self.fig is None or self.top - height < _MARGIN:
            self.new_page()

    def new_page(self) -> None:
        self.finish_page()
        self.fig = _pyplot().figure(figsize=A4_INCHES)
        self.pages += 1
        self.top = _PAGE_H - _MARGIN

    def finish_page(self) -> None:
        if self.fig is None:
            return
        self.fig.text(
            0.5, _MARGIN / 2 / _PAGE_H, f"{self.footer}, page {self.pages}",
            ha="center", fontsize=7, color="#777777",
        )  # fmt: skip
        self.pdf.savefig(self.fig)
        _pyplot().close(self.fig)
        self.fig = None

    def put(self, x: float, line: str, size: float, **style: Any) -> None:
        """One line of text whose top is at the current position, X inches from the left."""
        y = (self.top - size / 72) / _PAGE_H
        self.fig.text(x / _PAGE_W, y, line, fontsize=size, parse_math=False, **style)

    def text(
        self, text: str, size: float, weight: str = "normal", color: str = "black",
        space_after: float = 0.06,
    ) -> None:  # fmt: skip
        for line in wrap(text, _TEXT_WIDTH, size, weight):
            self.reserve(size * 1.4 / 72)
            self.put(_MARGIN, line, size, weight=weight, color=color)
            self.top -= size * 1.4 / 72
        self.top -= space_after

    def rule(self, x0: float, x1: float, width: float = 0.4) -> None:
        y = (self.top + 0.04) / _PAGE_H
        from matplotlib.lines import Line2D

        line = Line2D([x0 / _PAGE_W, x1 / _PAGE_W], [y, y], lw=width, color="#999999")
        self.fig.add_artist(line)

    def chart(self, caption: str, counts: Counter[str], chronological: bool) -> None:
        """A captioned bar chart (largest first, at most 12 bars) or, over years, a line."""
        self.reserve(_CHART_HEIGHT)
        self.text(caption, 10, "bold")
        items = sorted(counts.items()) if chronological else _ordered(counts)[:12]
        labels = [_shorten(k, 2.2, 8) for k, _ in items]
        values = [v for _, v in items]
        label_w = 0.3 if chronological else max((_text_width(k, 8) for k in labels), default=0)
        left = _MARGIN + label_w + 0.15
        height = _CHART_HEIGHT - 0.55
        box = [left / _PAGE_W, (self.top - height) / _PAGE_H,
               (_PAGE_W - _MARGIN - 0.3 - left) / _PAGE_W, (height - 0.1) / _PAGE_H]  # fmt: skip
        ax = self.fig.add_axes(box)
        if chronological:
            ax.plot(labels, values, marker="o", color="#1f4e79")
        else:
            bars = ax.barh(labels[::-1], values[::-1], color="#1f4e79")
            ax.bar_label(bars, fontsize=7, padding=2)
        ax.tick_params(labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        self.top -= height + 0.35

    def table(self, caption: str, unit: str, rows: list[tuple[str, int]], total: int) -> None:
        """A captioned table (category, count, share) that continues on the next page,
        caption and header repeated, when it is longer than what is left."""
        shown = rows[:_TABLE_ROWS]
        self.reserve(0.5 + _ROW_HEIGHT * min(len(shown), 4))
        self._table_head(caption, unit)
        for category, count in shown:
            self._table_row(category, str(count), f"{100 * count / total:.1f}%", caption, unit)
        if len(rows) > len(shown):
            rest = sum(n for _, n in rows[len(shown) :])
            more = f"{len(rows) - len(shown)} more"
            self._table_row(more, str(rest), f"{100 * rest / total:.1f}%", caption, unit)
        self.top -= 0.3

    def _table_head(self, caption: str, unit: str) -> None:
        self.text(caption, 10, "bold", space_after=0.02)
        self._cells("category", unit, "share", weight="bold")
        self.rule(_MARGIN, _PAGE_W - _MARGIN, 0.8)

    def _table_row(self, category: str, count: str, share: str, caption: str, unit: str) -> None:
        lines = wrap(category, _TEXT_WIDTH - 2.0, 8.5)
        if self.top - _ROW_HEIGHT * len(lines) < _MARGIN:
            self.new_page()
            self._table_head(f"{caption} (continued)", unit)
        self._cells(lines[0], count, share)
        for more in lines[1:]:
            self._cells(more, "", "")
        self.rule(_MARGIN, _PAGE_W - _MARGIN)

    def _cells(self, category: str, count: str, share: str, weight: str = "normal") -> None:
        self.put(_MARGIN, category, 8.5, weight=weight)
        self.put(_PAGE_W - _MARGIN - 1.1, count, 8.5, weight=weight, ha="right")
        self.put(_PAGE_W - _MARGIN, share, 8.5, weight=weight, ha="right")
        self.top -= _ROW_HEIGHT


Chart = tuple[str, Counter[str], bool]  # caption, values, chronological


def glotip_charts(records: Iterable[Any], year: int = 2022) -> list[Chart]:
    """The Global Report's charts regenerated from the GLOTIP export: victims by sex and age
    (countries reporting all four groups), each form of exploitation's share by region
    (mean of national shares of known form, in %), and detected victims per year."""
    from palermo.analysis import glotip_method as gm

    items = list(records)
    sex_age = Counter(
        {name: round(sum(gm.country_values(items, key, year).values()))
         for name, key in gm.SEX_AGE.items()}
    )  # fmt: skip
    charts: list[Chart] = [(f"Detected victims by sex and age, {year}", sex_age, False)]
    by_region = gm.form_by_region(items, year)
    for form in gm.FORMS:
        shares = Counter({r: round(100 * s[form]) for r, s in by_region.items()})
        charts.append((f"{form}: share of detected victims by region, {year} (%)", shares, False))
    years = Counter({str(y): round(v) for y, v in gm.victims_by_year(items).items()})
    charts.append(("Detected victims per year, reporting countries", years, True))
    return charts


def render_glotip_html(rows: list[list[str]], columns: list[str], charts: list[Chart]) -> str:
    """The headline figures (published, palermo, difference) and the charts, as HTML."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in rows
    )
    figures = "".join(_svg(caption, counts, chrono) for caption, counts, chrono in charts)
    title = "Global Report on Trafficking in Persons 2024: headline figures from the GLOTIP export"
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{_HTML_STYLE}</style></head><body><h1>{title}</h1><table><thead><tr>{head}"
        f"</tr></thead><tbody>{body}</tbody></table><figure>{figures}</figure></body></html>"
    )


def render_glotip_pdf(rows: list[list[str]], charts: list[Chart]) -> bytes:
    """The same as a PDF on A4 pages: one line per figure, then the charts."""
    buffer = io.BytesIO()
    from matplotlib.backends.backend_pdf import PdfPages

    with _plain_text(), PdfPages(buffer) as pdf:
        flow = _Flow(pdf, "palermo GLOTIP report")
        flow.text("Global Report on Trafficking in Persons 2024: headline figures", 16, "bold")
        for name, published, value, diff, target, naive, method in rows:
            line = f"{name}: published {published}, palermo {value} ({diff}, target {target}); "
            flow.text(line + f"obvious sum {naive}. {method}", 8.5)
        for caption, counts, chronological in charts:
            flow.chart(caption, counts, chronological)
        flow.finish_page()
    return buffer.getvalue()
