"""One record's identity looked up alone vs reading the whole view (issue 15, ADR 0046).

    .venv/bin/python bench/identity_lookup.py                     # 10,000 records
    .venv/bin/python bench/identity_lookup.py --records 2000
    .venv/bin/python bench/identity_lookup.py --db postgresql+psycopg://postgres@127.0.0.1/x

The synthetic node of `bench/review_queue.py` (seed 7: two agencies, namesakes, about a
fifth of the people recorded twice). Its identities are written straight to A1's ledger
(`ledger.record` with the links that made them; no Splink run: this measures reading, not
resolving): a twin pair is one identity joined by its link, and about one identity in ten
also holds a third record linked to both. Then, as after a day's work: B2 stops sharing
1% of its records (identities that lost one split at once), and A1 confirms pairs across
identities and rejects pairs inside one (1% of the records each).

Timed, for LOOKUPS records A1 reads (drawn with the seed):
- the lookup's core now: `identity_lookup.identity_around` reading only the judgements
  that name the records it reads (`judgement_lookup`, the index of migration 0020),
  median; and, in the same run, the way it was done before: every judgement the viewer
  reads (`resolution.judgements`, as the analyses read them) then `identity_around` on
  them, median of the sum and of each part; both must give the same identity;
- `ledger_access.identity_of` (what the API and CLI answer: that, plus the record read
  as the viewer, its members' labels and markings, and the audit event), median;
- the whole view's identities as the analyses read them (`review.identities`:
  `visible_membership` + the judgements), median of 3; what a lookup would cost if it
  read the view.
Printed: both times, their ratio, and how many looked-up identities agree with the view's
(member sets and ids).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from palermo.analysis import review
from palermo.match import identity_lookup, ledger, ledger_access, ledger_pairs
from palermo.match.resolution import judgements
from palermo.match.xref import CONFIRM, REJECT, Link
from palermo.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
import itertools

from review_queue import people, two_agencies, write


def identities(records: list[str], rng: random.Random) -> tuple[dict[str, str], list[Link]]:
    """Consecutive twins (a1/b2 with numbers n, n+1) as one identity with their link;
    one in ten also takes the next single record, linked to both."""
    number = {eid: int(eid.split(".p", 1)[1]) for eid in records}
    ordered = sorted(records, key=number.__getitem__)
    out: dict[str, str] = {}
    links: list[Link] = []
    i = 0
    while i < len(ordered):
        group = [ordered[i]]
        if i + 1 < len(ordered) and number[ordered[i + 1]] == number[ordered[i]] + 1:
            group.append(ordered[i + 1])
            if rng.random() < 0.1 and i + 2 < len(ordered):
                group.append(ordered[i + 2])
        for a, b in itertools.pairwise(group):
            links.append(Link(a, b, 0.99))
        if len(group) == 3:
            links.append(Link(group[0], group[2], 0.95))
        for record in group:
            out[record] = f"{ledger.ID_PREFIX}{group[0]}"
        i += len(group)
    return out, links


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--db", default="", help="a database URL (default: a temporary SQLite)")
    args = parser.parse_args()
    console = Console()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = Store.open(url)
        viewers = two_agencies(store)
        a1, b2 = viewers["A1"], viewers["B2"]
        records = people(0, args.records, rng)
        write(store, viewers, records)
        props = dict(records)
        stored, links = identities([eid for eid, _ in records], rng)
        ledger.record(
            store, ledger.scope_of(a1), stored, pairs=ledger_pairs.Update(links, threshold=0.9)
        )
        theirs = sorted(eid for eid in props if eid.startswith("b2."))
        hidden = set(rng.sample(theirs, max(1, len(theirs) // 100)))
        for eid in sorted(hidden):  # B2 stops sharing
            store.retract(b2, eid)
            write(store, {"A1": a1, "B2": b2}, [(eid.replace("b2.", "b2.x"), props[eid])])
        groups = ledger.groups_of(stored)
        names = sorted(i for i, rs in groups.items() if rs[0] not in hidden)
        for _ in range(max(1, len(props) // 100)):
            left, right = rng.sample(names, 2)
            review.decide(store, a1, groups[left][0], groups[right][0], CONFIRM)
            inside = [g for g in groups.values() if len(g) > 1 and not hidden.intersection(g)]
            pair = rng.choice(inside)
            review.decide(store, a1, pair[0], pair[1], REJECT)
        timings = []
        for _ in range(3):
            t0 = time.perf_counter()
            view = review.identities(store, a1)
            timings.append(time.perf_counter() - t0)
        whole_s = statistics.median(timings)
        sample = rng.sample(sorted(view), min(args.lookups, len(view)))
        around: list[float] = []
        reads: list[float] = []
        touching: list[float] = []
        same_found = 0
        for record in sample:
            t0 = time.perf_counter()
            verdicts = judgements(store, a1)
            t1 = time.perf_counter()
            old = identity_lookup.identity_around(store, a1, record, verdicts)
            t2 = time.perf_counter()
            new = identity_lookup.identity_around(store, a1, record)
            touching.append(time.perf_counter() - t2)
            around.append(t2 - t1)
            reads.append(t1 - t0)
            same_found += old == new
        around_s, read_s = statistics.median(around), statistics.median(reads)
        touching_s = statistics.median(touching)
        all_s = statistics.median(a + r for a, r in zip(around, reads, strict=True))
        per: list[float] = []
        agree = 0
        for record in sample:
            t0 = time.perf_counter()
            found = ledger_access.identity_of(store, a1, record)
            per.append(time.perf_counter() - t0)
            same = {r for r, i in view.items() if i == view[record]}
            agree += found.id == view[record] and {m.id for m in found.records} == same
        lookup_s = statistics.median(per)
        split = sum(1 for r, i in view.items() if r in stored and i != stored[r])
        store.close()

    table = Table(title=f"A record's identity at {args.records:,} records")
    for column in ("path", "time (s)", "ratio", "agree with the view"):
        table.add_column(column, justify="right")
    table.add_row("identity_of (one record)", f"{lookup_s:.4f}", "1.0x", f"{agree}/{len(sample)}")
    table.add_row(
        "identity_around, judgements touching it (now)",
        f"{touching_s:.4f}",
        f"{touching_s / lookup_s:.2f}x",
        f"{same_found}/{len(sample)} same as below",
    )
    table.add_row(
        "all judgements + identity_around (before)",
        f"{all_s:.4f}",
        f"{all_s / lookup_s:.2f}x",
        "",
    )
    table.add_row("  of which judgements read", f"{read_s:.4f}", f"{read_s / lookup_s:.2f}x", "")
    table.add_row(
        "  of which identity_around", f"{around_s:.4f}", f"{around_s / lookup_s:.2f}x", ""
    )
    table.add_row(
        "whole view (review.identities)", f"{whole_s:.3f}", f"{whole_s / lookup_s:.1f}x", ""
    )
    console.print(table)
    console.print(f"{len(verdicts):,} judgements")
    console.print(
        f"backend {url.split(':', 1)[0]}; {len(stored):,} records in {len(groups):,} stored "
        f"identities; {split:,} records shown apart from their stored identity (splits, "
        f"judgements); lookup median of {len(sample)}, whole view median of 3"
    )


if __name__ == "__main__":
    main()
