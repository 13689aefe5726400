"""Cross-referencing has one threshold (`xref_threshold.XREF_THRESHOLD`): every resolver
and API that links records takes it as its default, and none writes the number itself."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from palermo.match import incremental, ledger_access, resolution, xref
from palermo.match.xref_threshold import XREF_THRESHOLD

MATCH = Path(xref.__file__).parent


def test_resolvers_default_to_the_named_threshold() -> None:
    defaults = [
        inspect.signature(fn).parameters["threshold"].default
        for fn in (
            xref.resolve,
            resolution.cross_reference,
            incremental.run_batch,
            incremental.Resolver.build,
            ledger_access.resolve,
        )
    ]
    assert defaults == [XREF_THRESHOLD] * len(defaults)


def _is_it(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value == XREF_THRESHOLD


def _literal_thresholds(tree: ast.AST) -> list[int]:
    """Lines where the cross-referencing number is written as a literal: a `threshold`
    parameter defaulting to it, or `... else <it>`."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            positional = args.posonlyargs + args.args
            named = positional[len(positional) - len(args.defaults) :]
            pairs = [*zip(named, args.defaults, strict=True)]
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d]
            lines += [d.lineno for a, d in pairs if a.arg == "threshold" and _is_it(d)]
        if isinstance(node, ast.IfExp) and _is_it(node.orelse):
            lines.append(node.lineno)
    return lines


def test_no_module_writes_the_number_itself() -> None:
    found = {
        path.name: hits
        for path in sorted(MATCH.glob("*.py"))
        if (hits := _literal_thresholds(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert found == {}
