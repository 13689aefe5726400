"""``palermo analyze``: link analysis, routes, hotspots, trends, risk and reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from palermo.analysis.hotspots import KINDS
from palermo.analysis.report import DEFAULT_PURPOSE, render_html, render_pdf
from palermo.analysis.roles import BROKER_EXCLUDES, ROLES, VICTIM, check_roles
from palermo.cli.common import (
    CliError,
    acting_viewer,
    check_choice,
    check_out_file,
    check_period,
    console,
    emit,
    errors,
    open_store,
)
from palermo.cli.data import ReadPurpose, checked_read_purpose
from palermo.store.purpose_view import withheld_note

if TYPE_CHECKING:  # imported when a command runs: igraph, Splink and matplotlib take seconds
    from palermo.analysis.service import Workspace

app = typer.Typer(help="Analyse what you may see: networks, routes, hotspots, trends, risk.")

AsUser = Annotated[str | None, typer.Option("--as", help="acting user (or PALERMO_USER)")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
NoResolve = Annotated[
    bool, typer.Option("--no-resolve", help="analyse records, not resolved identities")
]


GRAPH_FORMATS = (".graphml", ".gexf", ".json")
REPORT_FORMATS = (".html", ".pdf")


def workspace(ctx: typer.Context, user: str | None, no_resolve: bool, quiet: bool) -> Workspace:
    """The viewer's workspace; the spinner goes to stderr so stdout stays machine-readable."""
    from palermo.analysis.service import Workspace

    store = open_store(ctx)
    viewer = acting_viewer(store, user)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=errors,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("reading visible records", total=None)
        space = Workspace.load(
            store,
            viewer,
            resolve=False,
            progress=lambda n: bar.update(task, description=f"read {n:,} records"),
        )
        if not no_resolve:
            bar.update(task, description=f"resolving identities of {len(space.entities):,}")
            space = space.identified(store, viewer)
    return space


def purpose_view(
    ctx: typer.Context, user: str | None, no_resolve: bool, quiet: bool, purpose: str | None
) -> Workspace:
    """The viewer's workspace as the declared ``--purpose`` may use it (H0, ADR 0051), the
    API's rule: without ``--purpose`` none is declared, so another agency's values stated
    for any purpose are left out. A typo fails before the (slow) load, naming the option.
    What was withheld is said on stderr, so stdout stays the same shape for scripts."""
    declared = checked_read_purpose(purpose)
    view = workspace(ctx, user, no_resolve, quiet).for_purpose(declared)
    if view.withheld:
        records = sum(view.withheld.values())
        note = withheld_note(set(view.withheld))
        line = f"{note} ({records} records with values left out)"
        errors.print(escape(line), highlight=False, soft_wrap=True)
    return view


def audit(
    ctx: typer.Context, user: str | None, space: Workspace, action: str, target: str, **detail: Any
) -> None:
    """The command's audit row, as the API writes it (``analysis.<action>``), with the
    declared purpose and what was withheld: the workspace's store reads are audited page by
    page, but not what the analysis made of them nor for which purpose."""
    store = open_store(ctx)
    row = detail | space.audit_detail()
    store.audit_event(acting_viewer(store, user), f"analysis.{action}", target, row)


def _ids(ids: list[str]) -> dict[str, Any]:
    """A bounded list of ids with the full count (the API's `ids_detail`)."""
    return {"count": len(ids), "ids": ids[:200]}


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for row in rows:
        table.add_row(*(str(v) for v in row))
    return table


def _lookup(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from None


@app.command()
def graph(
    ctx: typer.Context,
    user: AsUser = None,
    ego: Annotated[str | None, typer.Option(help="record or identity at the centre")] = None,
    hops: Annotated[int, typer.Option(min=1, max=6)] = 2,
    path: Annotated[
        tuple[str, str] | None, typer.Option(help="shortest path between two entities")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="write .graphml, .gexf or .json")] = None,
    role: Annotated[
        list[str] | None,
        typer.Option(help="brokers only in this role (repeatable): " + ", ".join(ROLES)),
    ] = None,
    include_victims: Annotated[
        bool, typer.Option(help="rank persons with the victim role as brokers too")
    ] = False,
    as_json: AsJson = False,
    no_resolve: NoResolve = False,
    purpose: ReadPurpose = None,
) -> None:
    """Link analysis: key brokers, an ego network (always JSON), a path, or an export.

    Brokers show their roles (from values you may read); victims are left out of the
    ranking unless --include-victims or --role victim."""
    roles = list(role or [])
    _check_roles("--role", roles)
    if out is not None:
        check_out_file("--out", out, GRAPH_FORMATS)
    space = purpose_view(ctx, user, no_resolve, as_json, purpose)
    if path is not None:
        steps = _lookup(space.path, *path)
        audit(ctx, user, space, "path", " -> ".join(path), **_ids([s["id"] for s in steps]))
        _print_path(steps, path, as_json)
        return
    if out is not None:
        _export(space, out, ego, hops)
        audit(ctx, user, space, "graph", ego or "(whole graph)", hops=hops, out=out.name)
        errors.print(f"wrote {out}")
        return
    if ego is not None:
        data = _lookup(space.graph_json, ego, hops)
        records = sorted({r for node in data["nodes"] for r in node.get("records", [])})
        audit(ctx, user, space, "graph", ego, hops=hops, **_ids(records))
        emit(data | {"withheld": space.withheld}, True)
        return
    exclude = () if include_victims or VICTIM in roles else BROKER_EXCLUDES
    brokers = space.brokers(10, roles, exclude)
    audit(ctx, user, space, "brokers", "top 10", roles=roles, **_ids([b["id"] for b in brokers]))
    if as_json:
        emit(brokers, True)
        return
    rows = [[b["label"], b["id"], ", ".join(b["roles"]), b["betweenness"]] for b in brokers]
    title = "Key brokers (betweenness" + ("" if exclude == () else ", victims left out") + ")"
    console.print(_table(title, ["name", "node", "roles", "betweenness"], rows))


def _check_roles(option: str, roles: list[str]) -> None:
    try:
        check_roles(option, roles)
    except ValueError as exc:
        raise CliError(str(exc)) from None


@app.command()
def communities(
    ctx: typer.Context,
    user: AsUser = None,
    role: Annotated[
        str | None, typer.Option(help="only members in this role: " + ", ".join(ROLES))
    ] = None,
    top: Annotated[int, typer.Option(min=1, max=500)] = 20,
    as_json: AsJson = False,
    no_resolve: NoResolve = False,
    purpose: ReadPurpose = None,
) -> None:
    """Communities of the link graph: size, how many of each role, the members."""
    _check_roles("--role", [role] if role else [])
    space = purpose_view(ctx, user, no_resolve, as_json, purpose)
    found = space.communities(role, top)
    members = [m["id"] for c in found for m in c["members"]]
    audit(ctx, user, space, "communities", role or "(all roles)", **_ids(members))
    if as_json:
        emit(found, True)
        return
    rows = [
        [
            c["community"],
            c["size"],
            ", ".join(f"{r} {n}" for r, n in c["roles"].items()),
            "; ".join(
                m["label"] + (f" ({', '.join(m['roles'])})" if m["roles"] else "")
                for m in c["members"][:5]
            ),
        ]
        for c in found
    ]
    console.print(_table("Communities", ["community", "size", "roles", "members (first 5)"], rows))


def _print_path(steps: list[dict[str, str]], ends: tuple[str, str], as_json: bool) -> None:
    """The shortest path as JSON, or as a numbered table; an empty path says so."""
    if as_json:
        emit(steps, True)
    elif not steps:
        console.print(f"no path between {ends[0]} and {ends[1]} in your link graph")
    else:
        rows = [[i, s["label"], s["schema"], s["id"]] for i, s in enumerate(steps)]
        console.print(_table("Shortest path", ["step", "name", "schema", "node"], rows))


def _export(space: Workspace, out: Path, ego: str | None, hops: int) -> None:
    suffix = out.suffix.lower()
    if suffix == ".json":
        data = _lookup(space.graph_json, ego, hops) | {"withheld": space.withheld}
        out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    elif suffix in (".graphml", ".gexf"):
        g = space.link_graph().graph
        (g.write_graphml if suffix == ".graphml" else g.write_gexf)(out)
    else:
        raise CliError(f"--out: unknown format {suffix!r} (use .graphml, .gexf or .json)")


@app.command()
def routes(
    ctx: typer.Context,
    user: AsUser = None,
    form: Annotated[str | None, typer.Option(help="form of exploitation (prefix)")] = None,
    new_since: Annotated[str, typer.Option(help="list routes first seen since (YYYY[-MM])")] = "",
    as_json: AsJson = False,
    no_resolve: NoResolve = False,
    purpose: ReadPurpose = None,
) -> None:
    """Origin -> transit -> destination flows: top routes, per form, new routes."""
    check_period("--new-since", new_since)
    space = purpose_view(ctx, user, no_resolve, as_json, purpose)
    result = space.routes(form, new_since)
    _check_form(form, result)
    audit(ctx, user, space, "routes", form or "(all forms)", new_since=new_since)
    if as_json:
        emit(result, True)
        return
    console.print(
        _table("Top routes", ["route", "flows"], [[r["route"], r["flows"]] for r in result["top"]])
    )
    if new_since:
        rows = [[r["route"], r["flows"], r["first_seen"]] for r in result["new"]]
        console.print(_table(f"New since {new_since}", ["route", "flows", "first seen"], rows))


def _check_form(form: str | None, result: dict[str, Any]) -> None:
    """``--form`` is a prefix of the forms in the data; one that matches none is a typo."""
    forms = sorted(result["by_form"])
    if form is not None and not any(f.startswith(form) for f in forms):
        known = ", ".join(forms) or "none"
        raise CliError(f"--form: no route has a form starting with {form!r} (forms: {known})")


@app.command()
def hotspots(
    ctx: typer.Context,
    user: AsUser = None,
    kind: Annotated[str | None, typer.Option(help="recruitment, transit or exploitation")] = None,
    resolution: Annotated[int, typer.Option(min=0, max=15, help="H3 resolution")] = 5,
    start: str = "",
    end: str = "",
    baseline: Annotated[
        tuple[str, str] | None, typer.Option(help="baseline period START END")
    ] = None,
    as_json: AsJson = False,
    purpose: ReadPurpose = None,
) -> None:
    """H3 cells where events concentrate, with Getis-Ord Gi* and baseline significance."""
    check_choice("--kind", kind, KINDS)
    periods = [("--start", start), ("--end", end), *(("--baseline", b) for b in baseline or ())]
    for option, value in periods:
        check_period(option, value)
    space = purpose_view(ctx, user, True, as_json, purpose)
    found = space.hotspots(kind, resolution, (start, end), baseline)
    target = kind or "(all kinds)"
    audit(ctx, user, space, "hotspots", target, resolution=resolution, cells=len(found))
    if as_json:
        emit(found, True)
        return
    rows = [
        [
            h["place"] or "-",
            h["cell"],
            f"{h['lat']}, {h['lon']}",
            h["count"],
            h["z"],
            f"{h['p']:.2g}",
            h["significant"],
        ]
        for h in found[:20]
    ]
    columns = ["place", "cell", "centre", "events", "Gi* z", "p", "significant"]
    console.print(_table("Hotspots", columns, rows))


@app.command()
def trends(
    ctx: typer.Context, user: AsUser = None, as_json: AsJson = False, purpose: ReadPurpose = None
) -> None:
    """Detected victims and suspects by year, sex and age, form, country, citizenship."""
    space = purpose_view(ctx, user, True, as_json, purpose)
    tables = space.trends()
    audit(ctx, user, space, "trends", "(all tables)", tables=len(tables))
    if as_json:
        emit(tables, True)
        return
    for caption, counts in tables.items():
        rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        console.print(_table(caption, ["category", "count"], [list(r) for r in rows]))


@app.command()
def risk(
    ctx: typer.Context,
    user: AsUser = None,
    top: Annotated[int, typer.Option(min=1)] = 20,
    without_victim_records: Annotated[
        bool, typer.Option(help="score only on what is not a victim record")
    ] = False,
    as_json: AsJson = False,
    no_resolve: NoResolve = False,
    purpose: ReadPurpose = None,
) -> None:
    """Indicator-based risk: who shows the ILO/UNODC indicators, and from which records."""
    space = purpose_view(ctx, user, no_resolve, as_json, purpose)
    ranked = space.risk(top, use_victim_records=not without_victim_records)
    audit(ctx, user, space, "risk", f"top {top}", **_ids([r["identity"] for r in ranked]))
    if as_json:
        emit(ranked, True)
        return
    rows = [
        [r["label"], r["score"], "; ".join(f["label"] for f in r["indicators"])] for r in ranked
    ]
    console.print(_table("Risk indicators", ["person", "score", "indicators fired"], rows))


@app.command()
def report(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(help="report file: .html or .pdf")] = None,
    user: AsUser = None,
    title: str = "Trafficking in persons: detected victims and suspects",
    glotip: Annotated[
        bool, typer.Option("--glotip", help="Global Report 2024 figures from the GLOTIP export")
    ] = False,
    purpose: Annotated[
        str,
        typer.Option(
            help="Declared purpose: values whose H0 states other purposes are not used, and "
            "the report says what it was produced for"
        ),
    ] = DEFAULT_PURPOSE,
) -> None:
    """A Global-Report-style report with charts, as HTML or PDF; --glotip: the 2024 Global
    Report's headline figures recomputed from UNODC's export, next to the published values.
    Without --purpose the report is produced for analysis (ADR 0041)."""
    if glotip:
        _glotip_report(out)
        return
    if out is None:
        raise CliError("--out: a report file (.html or .pdf) is needed")
    check_out_file("--out", out, REPORT_FORMATS)
    from palermo.store.marked_export import check_export_purpose

    try:
        purpose = check_export_purpose(purpose)
    except ValueError as exc:
        raise CliError(f"--{exc}") from None
    space = workspace(ctx, user, False, False)
    viewer = acting_viewer(open_store(ctx), user)
    data = space.report(title, f"records visible to {viewer.agency}", purpose)
    if out.suffix.lower() == ".pdf":
        out.write_bytes(render_pdf(data))
    else:
        out.write_text(render_html(data), encoding="utf-8")
    console.print(
        f"wrote {out} ({data.victims.total} victim records, {data.suspects.total} suspects) "
        f"for {purpose}"
    )


def _glotip_report(out: Path | None) -> None:
    """Print the headline figures (published, palermo, difference); charts to --out."""
    from palermo.analysis.glotip_method import FIGURE_COLUMNS, figure_rows, headline_figures
    from palermo.analysis.report import glotip_charts, render_glotip_html, render_glotip_pdf
    from palermo.datasets.glotip import load_glotip
    from palermo.datasets.paths import shared_data_dir

    if out is not None:
        check_out_file("--out", out, REPORT_FORMATS)
    path = shared_data_dir() / "glotip" / "data_glotip.xlsx"
    if not path.exists():
        raise CliError(f"--glotip: the GLOTIP export {str(path)!r} is missing")
    with errors.status("reading the GLOTIP export"):
        records = list(load_glotip(path))
    rows = figure_rows(headline_figures(records))
    console.print(_table("Global Report 2024: headline figures", FIGURE_COLUMNS, rows))
    if out is None:
        return
    charts = glotip_charts(records)
    if out.suffix.lower() == ".pdf":
        out.write_bytes(render_glotip_pdf(rows, charts))
    else:
        out.write_text(render_glotip_html(rows, FIGURE_COLUMNS, charts), encoding="utf-8")
    console.print(f"wrote {out}")


SUBMISSION_FORMATS = (".csv", ".xlsx")


@app.command("glotip-submission")
def glotip_submission(
    ctx: typer.Context,
    year: Annotated[int, typer.Option(min=2000, max=2100, help="reference year")],
    user: AsUser = None,
    out: Annotated[Path | None, typer.Option(help="write .csv or .xlsx (GLOTIP layout)")] = None,
    trace: Annotated[
        str | None,
        typer.Option(help="list the records behind INDICATOR/DIMENSION/CATEGORY/SEX/AGE"),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Your agency's GLOTIP questionnaire tables for a year, from its own records (victims,
    suspects, persons prosecuted and convicted): "<5" for small cells; victim tables need
    the victim-support role."""
    from palermo.analysis import glotip_submission as gs
    from palermo.datasets.glotip import HEADER

    if out is not None:
        check_out_file("--out", out, SUBMISSION_FORMATS)
    try:
        key = gs.parse_cell(trace) if trace else None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    store = open_store(ctx)
    try:
        sub = gs.from_store(store, acting_viewer(store, user), year)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if key is not None:
        emit(_lookup(gs.trace, sub, key), True)
        return
    if out is not None:
        if out.suffix.lower() == ".xlsx":
            gs.write_xlsx(sub, out)
        else:
            out.write_text(gs.to_csv(sub), encoding="utf-8")
    if as_json:
        emit({"cells": [dict(zip(HEADER, r, strict=True)) for r in sub.rows()],
              "withheld": sub.withheld}, True)  # fmt: skip
        return
    rows = [[*r[4:9], r[11]] for r in sub.rows()]
    columns = ["indicator", "dimension", "category", "sex", "age", "value"]
    console.print(_table(f"GLOTIP submission {sub.agency} {year}", columns, rows))
    for note in sub.withheld:
        console.print(f"withheld: {note}")
    if out is not None:
        console.print(f"wrote {out}")
