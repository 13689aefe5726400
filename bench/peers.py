"""Client for ``bench/peers_worker.py``: nomenklatura's logic-v2 / logic-v1 as peers in benchmarks.

    from peers import PeerMatcher
    with PeerMatcher() as peer:
        pair = ({"name": ["Donald Trump"]}, {"name": ["唐纳德·特朗普"]})
        scores = peer.scores([pair], "logic-v2")

One worker process serves every batch (starting nomenklatura takes seconds; one process per
pair would measure start-up, not matching). A writer thread feeds the batch while the reader
collects scores, so large batches cannot deadlock on full pipes. If the peers venv is missing
it is created from ``bench/peers-requirements.txt``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".peers-venv"
PYTHON = VENV / "bin" / "python"
REQUIREMENTS = BENCH / "peers-requirements.txt"
WORKER = BENCH / "peers_worker.py"

Props = dict[str, Any]


def ensure_venv() -> Path:
    """Return the peers interpreter, creating the venv on first use."""
    if not PYTHON.exists():
        print(f"creating {VENV} (nomenklatura peers) ...", file=sys.stderr)
        subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
        pip = str(VENV / "bin" / "pip")
        subprocess.run([pip, "install", "-q", "-r", str(REQUIREMENTS)], check=True)
    return PYTHON


def _feed(stream: IO[str], lines: Iterable[str]) -> None:
    for line in lines:
        stream.write(line)
    stream.flush()


class PeerMatcher:
    """A long-lived nomenklatura worker; ``scores`` sends a batch and returns one score per pair."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [str(ensure_venv()), str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1 << 16,
        )

    def scores(
        self, pairs: Sequence[tuple[Props, Props]], algorithm: str = "logic-v2"
    ) -> list[float]:
        """Score (query, candidate) property dicts; raises if the worker rejects a pair."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        lines = (
            json.dumps({"a": a, "b": b, "algorithm": algorithm}, ensure_ascii=False) + "\n"
            for a, b in pairs
        )
        writer = threading.Thread(target=_feed, args=(self._proc.stdin, lines), daemon=True)
        writer.start()
        out: list[float] = []
        for _ in pairs:
            line = self._proc.stdout.readline()
            if not line:
                raise RuntimeError(
                    "peers worker exited early; run bench/peers_worker.py by hand to see why"
                )
            reply = json.loads(line)
            if reply.get("score") is None:
                raise ValueError(f"peers worker: {reply.get('error')}")
            out.append(float(reply["score"]))
        writer.join()
        return out

    def close(self) -> None:
        """Close stdin so the worker ends, then reap it."""
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(timeout=30)

    def __enter__(self) -> PeerMatcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def name_scores(pairs: Sequence[tuple[str, str]], algorithm: str = "logic-v2") -> list[float]:
    """Convenience: score bare name pairs as two Person entities with only ``name`` set."""
    with PeerMatcher() as peer:
        return peer.scores([({"name": [a]}, {"name": [b]}) for a, b in pairs], algorithm)
