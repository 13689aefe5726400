"""Every read of the store in the web UI, the API and the CLI states its H0 purpose.

`Store.entities`, `entity`, `referencing` and `search` default to the purpose the store is
bound to (`Store.for_purpose`), which is None -- every value -- on the node's store: right
for internal callers (exports, sync, the caches), a leak of H0 on a page, a route or a
command (ADR 0051, amendment). So a call in ``web``, ``api`` or ``cli`` must say which:
``purpose=`` the session's, the route's or ``--purpose``'s, or ``purpose=None`` where it
judges access on every value (and shows nothing of it). The functions those layers call to
gather a page (a case file, a board, an inbox) take a store bound with `for_purpose`.
This test reads the source, so forgetting fails here rather than in a review.
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
