"""Every read of the store in the web UI, the API and the CLI states its H0 purpose.

`Store.entities`, `entity`, `referencing` and `search` default to the purpose the store is
bound to (`Store.for_purpose`), which is None -- every value -- on the node's store: right
for internal callers (exports, sync, the caches), a leak of H0 on a page, a route or a
command (ADR 0051, amendment). So a call in ``web``, ``api`` or ``cli`` must say which:
``purpose=`` the session's, the route's or ``--purpose``'s, or ``purpose=None`` where it
judges access on every value (and shows nothing of it). The functions those layers call to
gather a page (a case file, a board, an inbox) take a store bound with `for_purpose`.
This test reads the source, so forgetting fails here rather than in a review.

It also catches the reads that slipped past that rule (ADR 0051, amendment "The last
reads"): a helper of these layers whose ``purpose`` defaults to None called without one, a
literal None handed to the functions that choose a read's or a screening's purpose, and
reads that do not go through the store's entity reads (alerts, the review queue) shown
without their H0 filter.
"""

from __future__ import annotations

import ast
from pathlib import Path

import palermo

READS = {"entity", "entities", "referencing", "search"}
LAYERS = ("web", "api", "cli")
ROOT = Path(palermo.__file__).parent


def _store_reads(tree: ast.AST) -> list[ast.Call]:
    """Calls ``<x>.entity(...)`` and the like whose receiver looks like a store."""
    out = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in READS:
            continue
        receiver = ast.unparse(node.func.value)
        if "store" in receiver.lower():
            out.append(node)
    return out


def unstated() -> list[str]:
    found = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for call in _store_reads(tree):
                if not any(k.arg == "purpose" for k in call.keywords):
                    found.append(f"{path.relative_to(ROOT)}:{call.lineno} {ast.unparse(call)}")
    return found


# the coordination functions that gather what a page, a route or a command shows: they read
# with the store they are handed, so it must be bound to a purpose, never the bare node store
GATHERERS = {
    "case_file",
    "dashboard",
    "after_action_report",
    "inbox",
    "attachments_of",
    "receipts",
    "reminders",
    "active_notices",
    "person_choices",
    "hits",  # deconfliction.hits: the dashboard's panel, /hits, the API's list
    # match.ledger_access: the ledger page, an entry, its undo and `/of/` hold an entry only
    # withheld values joined (ADR 0051, amendment "the ledger per purpose"); `resolve`
    # resolves over every value and shows only counts
    "ledger_page",
    "ledger_entry",
    "undo_entry",
    "identity_of",
}


def unbound() -> list[str]:
    """Gatherers handed ``store_of(...)`` itself (every value) instead of a bound store."""
    found = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
                name = node.func.id if isinstance(node.func, ast.Name) else name
                first = node.args[0]
                bare = isinstance(first, ast.Call) and ast.unparse(first.func) == "store_of"
                if name in GATHERERS and bare:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    return found


def _stated(call: ast.Call) -> bool:
    return any(k.arg == "purpose" for k in call.keywords)


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _layer_trees() -> list[tuple[str, ast.AST]]:
    return [
        (str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8")))
        for layer in LAYERS
        for path in sorted((ROOT / layer).rglob("*.py"))
    ]


def defaulted_purpose() -> dict[str, int]:
    """Functions of ``web``, ``api`` and ``cli`` with a ``purpose`` parameter that defaults
    to None (every value), by name -> the most positional arguments a call may pass without
    reaching it (``self`` not counted; keyword-only: any number).

    Such a default is what let the profile's JSON export read every value through
    ``related(store, viewer, [entity])``: the store read inside the helper states
    ``purpose=purpose``, so the check above passed while the caller stated none. Functions
    elsewhere (coordination, analysis) take a bound store or a workspace for a purpose and
    are not listed: their names recur (``run``, ``risk``) and would raise false alarms; nor
    are routes and commands (decorated), which the framework calls by keyword."""
    found: dict[str, int] = {}
    for _, tree in _layer_trees():
        for fn in _functions(tree):
            if fn.decorator_list:  # a route or a command: called by the framework
                continue
            args = fn.args
            positional = [a.arg for a in [*args.posonlyargs, *args.args] if a.arg != "self"]
            defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
            if "purpose" in positional:
                at = positional.index("purpose")
                default = defaults[at]
            elif "purpose" in (kw := [a.arg for a in args.kwonlyargs]):
                at, default = 10**6, args.kw_defaults[kw.index("purpose")]
            else:
                continue
            if isinstance(default, ast.Constant) and default.value is None:
                found[fn.name] = min(found.get(fn.name, at), at)
    return found


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _helper_calls(tree: ast.AST, wanted: dict[str, int]) -> list[ast.Call]:
    """Calls of a function with a defaulted ``purpose`` that pass none (neither
    ``purpose=`` nor far enough positionally)."""
    return [
        c
        for c in _calls(tree)
        if _name(c) in wanted
        and not _stated(c)
        and not any(isinstance(a, ast.Starred) for a in c.args)
        and len(c.args) <= wanted[_name(c)]
    ]


# functions that choose a screening's or a read's H0 purpose: a literal None there reads
# for no declared purpose whatever the request declared (the MRZ route did, ADR 0051)
CHOOSERS = {"for_purpose", "screening_purpose", "read_purpose"}


def _none_calls(tree: ast.AST) -> list[ast.Call]:
    out = []
    for c in _calls(tree):
        args = [*c.args, *(k.value for k in c.keywords if k.arg == "purpose")]
        if _name(c) in CHOOSERS and any(
            isinstance(a, ast.Constant) and a.value is None for a in args
        ):
            out.append(c)
    return out


# What is read without the store's entity reads, each with the module that applies H0 to
# it: a module of web/api/cli naming the first must name the second. Alerts quote the value
# of a statement (read from the alert table); the review queue is cached per viewer over
# every value.
PAIRED = {
    "alerts_for": "alert_purpose",
    "_alert": "alert_purpose",
    "nats_publisher": "alert_purpose",
    "ReviewCache": "review_purpose",
}


def _unpaired(tree: ast.AST) -> list[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.rsplit(".", 1)[-1])
    return [
        f"{read} without {applied}"
        for read, applied in PAIRED.items()
        if read in names and applied not in names
    ]


def test_helpers_with_a_defaulted_purpose_are_given_one() -> None:
    wanted = defaulted_purpose()
    found = [
        f"{path}:{c.lineno} {ast.unparse(c)}"
        for path, tree in _layer_trees()
        for c in _helper_calls(tree, wanted)
    ]
    assert not found, "calls that leave purpose at its default (H0):\n" + "\n".join(found)


def test_no_screening_or_read_purpose_is_a_literal_none() -> None:
    found = [
        f"{path}:{c.lineno} {ast.unparse(c)}"
        for path, tree in _layer_trees()
        for c in _none_calls(tree)
    ]
    assert not found, "a literal None purpose (H0):\n" + "\n".join(found)


def test_alerts_and_the_review_queue_are_shown_through_their_purpose_filter() -> None:
    found = [f"{path}: {gap}" for path, tree in _layer_trees() for gap in _unpaired(tree)]
    assert not found, "read without its H0 filter:\n" + "\n".join(found)


def test_the_extended_checks_find_what_they_were_added_for() -> None:
    """Each check flags the read it was added for, as the code had it, and passes the fix:
    the profile export's helper, the MRZ route's None, the dashboard's alerts and the
    review page's queue."""
    wanted = defaulted_purpose()
    assert wanted["related"] == 3 and wanted["export_entities"] == 3
    old = "data = export_entities(store, viewer, entity)\nrelated(store, viewer, [entity])"
    assert len(_helper_calls(ast.parse(old), wanted)) == 2
    new = "export_entities(store, viewer, entity, read)\nrelated(store, viewer, [e], purpose)"
    assert _helper_calls(ast.parse(new), wanted) == []
    assert len(_none_calls(ast.parse("index = for_purpose(cached_index(r, v), None)"))) == 1
    assert _none_calls(ast.parse("index = for_purpose(cached_index(r, v), body.purpose)")) == []
    dashboard = "found = [alerts_mod._alert(r._mapping) for r in rows]"
    assert _unpaired(ast.parse(dashboard)) == ["_alert without alert_purpose"]
    page = "from palermo.analysis.review import ReviewCache\nfrom palermo.analysis import "
    assert _unpaired(ast.parse(page + "review_purpose")) == []
    assert _unpaired(ast.parse(page + "review")) == ["ReviewCache without review_purpose"]


def test_every_store_read_in_web_api_and_cli_states_its_purpose() -> None:
    found = unstated()
    assert not found, "store reads without purpose= (H0, ADR 0051):\n" + "\n".join(found)


def test_pages_routes_and_commands_gather_through_a_bound_store() -> None:
    found = unbound()
    assert not found, "gathered with the node's store (every value):\n" + "\n".join(found)


def test_the_check_finds_a_read_without_a_purpose() -> None:
    """The check itself: it flags a call without ``purpose=`` and passes one with it."""
    (missing,) = _store_reads(ast.parse("store_of(r).entities(v, schema='Notice')"))
    (stated,) = _store_reads(ast.parse("store.entity(v, i, purpose=None)"))
    assert not _stated(missing) and _stated(stated)
    assert _store_reads(ast.parse("re.search('x', y)")) == []
