"""The documentation's walk-throughs, run as written on SQLite and on PostgreSQL.

A shell block fenced as ```` ```bash walkthrough ```` (or ``sh walkthrough``) in README.md or a
doc under docs/ is a walk-through: its blocks are run in order, as one shell session (a `cd`
or an `export` carries on to the next command), in a fresh temporary directory, with the
venv's `bin` first on PATH so `palermo` is the installed CLI. Under a command:

- ``# -> TEXT`` lines are its expected output (stdout and stderr together): each TEXT must
  appear, in order, with runs of whitespace compared as one space (terminals wrap);
- ``# -> (nothing)`` says it prints nothing;
- ``# -> exit N`` says it exits with status N (otherwise it must exit 0).

Two things are substituted, and only these: each distinct database URL written in a block
(``sqlite:///...``, ``postgresql://...``) becomes a fresh database of the backend under test
(kept as written on SQLite, where a file in the fresh directory is already fresh), and each
port a server is started on (``--port 80NN`` and the ``127.0.0.1:80NN`` addresses that reach
it) becomes a free port, so runs never collide with a server the reader may have running.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from palermo.datasets.paths import shared_data_dir
from tests.ports import free_port  # ports below the ephemeral range

ROOT = Path(__file__).resolve().parents[2]
DOCS = [
    "README.md",
    "docs/exchange.md",
    "docs/identification.md",
    "docs/analysis.md",
    "docs/coordination.md",
    "docs/world.md",
    "docs/datasets.md",
    "docs/operations.md",
    "docs/import.md",
]
NEEDS_SHARED_DATA = {"docs/datasets.md"}  # reads ../shared/data: skipped where it is missing
PG_ADMIN_URL = os.environ.get(
    "PALERMO_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
FENCE = re.compile(r"^```(?:bash|sh) walkthrough[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
HEREDOC = re.compile(r"(?:^|\s)<<-?\s*(['\"]?)(\w+)\1(?:\s|$)")  # not the << of an MRZ
DB_URL = re.compile(r"\b(?:sqlite|postgresql(?:\+\w+)?)://[^\s'\")]*")
PORT = re.compile(r"(?<=--port )80\d\d\b|(?<=127\.0\.0\.1:)80\d\d\b")
MARK = "\x1e"
TIMEOUT = 900  # seconds for one document's whole walk-through (a ceiling for loaded CI machines)


@dataclass
class Step:
    """One command of a walk-through (with its heredoc or continuation lines)."""

    line: int
    command: str
    expected: list[str] = field(default_factory=list)
    nothing: bool = False
    exit_code: int = 0


def blocks(doc: str) -> list[tuple[int, str]]:
    """(line number of the first command, text) of every walk-through block, in order."""
    return [(doc[: m.start(1)].count("\n") + 1, m.group(1)) for m in FENCE.finditer(doc)]


def steps(doc: str) -> list[Step]:
    """Split a document's walk-through blocks into commands and their expectations."""
    out: list[Step] = []
    for first, text in blocks(doc):
        lines = text.splitlines()
        i = 0
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith("# ->"):
                assert out, f"line {first + i}: expected output before any command"
                expect(out[-1], stripped[4:].strip())
                i += 1
            elif stripped and not stripped.startswith("#"):
                end = command_end(lines, i, first)
                out.append(Step(first + i, "\n".join(lines[i:end])))
                i = end
            else:
                i += 1
    return out


def command_end(lines: list[str], i: int, first: int) -> int:
    """Index after the command starting at line I: its continuation lines and heredoc."""
    end = i + 1
    while lines[end - 1].endswith("\\") and end < len(lines):
        end += 1
    heredoc = HEREDOC.search(lines[i])
    if heredoc:
        while end < len(lines) and lines[end].strip() != heredoc.group(2):
            end += 1
        assert end < len(lines), f"line {first + i}: heredoc {heredoc.group(2)} not closed"
        end += 1
    return end


def expect(step: Step, text: str) -> None:
    if text == "(nothing)":
        step.nothing = True
    elif re.fullmatch(r"exit \d+", text):
        step.exit_code = int(text.split()[1])
    else:
        step.expected.append(text)


def script(all_steps: list[Step]) -> str:
    """One bash session running every step; after each, a marker with its exit status.

    A step that exits otherwise than the document says ends the session, so later steps
    never run on a state the document did not describe."""
    parts = ["exec 2>&1", "set -o pipefail"]
    for n, step in enumerate(all_steps):
        parts += [
            step.command,
            "__rc=$?",
            f"printf '\\n{MARK}{n} %d{MARK}\\n' $__rc",
            f"[ $__rc -eq {step.exit_code} ] || exit 100",
        ]
    return "\n".join(parts) + "\n"


def outputs(text: str) -> dict[int, tuple[int, str]]:
    """Step number -> (exit status, output) from the session's combined output."""
    out, start = {}, 0
    for m in re.finditer(rf"\n{MARK}(\d+) (\d+){MARK}\n", text):
        out[int(m.group(1))] = (int(m.group(2)), text[start : m.start()])
        start = m.end()
    return out


def flat(text: str) -> str:
    return " ".join(text.split())


class Databases:
    """Fresh databases for one run: SQLite files in the work directory, or PostgreSQL
    databases created here and dropped afterwards (as tests/conftest.py's pg_database)."""

    def __init__(self, backend: str, work: Path) -> None:
        self.backend, self.work, self.created = backend, work, []
        self.admin: sa.Engine | None = None
        if backend == "postgresql":
            self.admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            try:
                with self.admin.connect():
                    pass
            except sa.exc.OperationalError as exc:
                if os.environ.get("CI"):
                    pytest.fail(f"PostgreSQL is required in CI: {exc}")
                pytest.skip(f"PostgreSQL not reachable: {exc}")

    def fresh(self, written: str | None = None) -> str:
        if self.admin is None:
            return written or f"sqlite:///{self.work / 'palermo.db'}"
        name = f"palermo_walk_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def drop(self) -> None:
        if self.admin is None:
            return
        with self.admin.connect() as conn:
            for name in self.created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


def substitute(text: str, dbs: Databases, urls: dict[str, str], ports: dict[str, str]) -> str:
    def db(m: re.Match[str]) -> str:
        if m.group(0) not in urls:
            urls[m.group(0)] = dbs.fresh(m.group(0))
        return urls[m.group(0)]

    def port(m: re.Match[str]) -> str:
        return ports.setdefault(m.group(0), str(free_port()))

    return PORT.sub(port, DB_URL.sub(db, text))


def run(doc: str, backend: str, work: Path) -> None:
    """Run DOC's walk-through in the fresh directory WORK on BACKEND; fail naming the step."""
    if doc in NEEDS_SHARED_DATA and not shared_data_dir().is_dir():
        pytest.skip(f"{doc}: no shared data at {shared_data_dir()}")
    work.mkdir(parents=True)
    all_steps = steps((ROOT / doc).read_text(encoding="utf-8"))
    assert all_steps, f"{doc} has no walk-through"
    dbs = Databases(backend, work)
    urls: dict[str, str] = {}
    ports: dict[str, str] = {}
    for step in all_steps:
        step.command = substitute(step.command, dbs, urls, ports)
        step.expected = [substitute(want, dbs, urls, ports) for want in step.expected]
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PALERMO_DB": dbs.fresh(),
        "COLUMNS": "160",
        "HOME": str(work),
    }
    env.pop("PALERMO_USER", None)
    session = subprocess.Popen(
        ["bash", "-c", script(all_steps)], cwd=work, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        text, _ = session.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(session.pid, signal.SIGKILL)
        text, _ = session.communicate()
        pytest.fail(f"{doc}: walk-through took over {TIMEOUT} s:\n{text[-3000:]}")
    finally:
        stop(session.pid)  # servers a walk-through left running
        dbs.drop()
    try:
        check(doc, all_steps, outputs(text), text)
    except AssertionError as failure:
        raise AssertionError(f"{failure}{server_logs(work)}") from None


def server_logs(work: Path) -> str:
    """The end of every server log the walk-through wrote: a step that found no server
    fails far from the reason the server gave."""
    tails = []
    for log in sorted(work.rglob("serve*.log")):
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        head = f"\n--- {log.relative_to(work)} (last 40 lines) ---\n"
        tails.append(head + "\n".join(lines[-40:]))
    return "".join(tails)


def stop(group: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)


def check(doc: str, all_steps: list[Step], results: dict[int, tuple[int, str]], text: str) -> None:
    for n, step in enumerate(all_steps):
        where = f"{doc}:{step.line}: {step.command.splitlines()[0]}"
        assert n in results, f"{where}\ndid not run; the session ended with:\n{text[-3000:]}"
        status, output = results[n]
        assert status == step.exit_code, f"{where}\nexit {status}, not {step.exit_code}:\n{output}"
        if step.nothing:
            assert output.strip() == "", f"{where}\nprinted something:\n{output}"
        rest = flat(output)
        for want in step.expected:
            at = rest.find(flat(want))
            assert at >= 0, f"{where}\nexpected (in order) {want!r} in:\n{output}"
            rest = rest[at + len(flat(want)) :]


Runs = dict[str, "Future[None]"]  # document -> its walk-through running in the background


def selected(request: pytest.FixtureRequest, test: str) -> list[str]:
    """The documents whose walk-through TEST this session will actually run (-k, node ids)."""
    return [
        item.callspec.params["doc"]
        for item in request.session.items
        if getattr(item, "originalname", None) == test and hasattr(item, "callspec")
    ]


def started(request: pytest.FixtureRequest, backend: str, root: Path) -> Iterator[Runs]:
    """Every selected document's walk-through started at once, two at a time (the CLI's
    start-up dominates and is CPU-bound), so a backend's walk-throughs take about half as long;
    each test then waits for its own document's result."""
    docs = selected(request, f"test_walkthrough_{backend}")
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {doc: pool.submit(run, doc, backend, root / re.sub(r"\W", "_", doc)) for doc in docs}


@pytest.fixture(scope="session")
def sqlite_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runs]:
    yield from started(request, "sqlite", tmp_path_factory.mktemp("walkthroughs-sqlite"))


@pytest.fixture(scope="session")
def postgresql_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runs]:
    yield from started(request, "postgresql", tmp_path_factory.mktemp("walkthroughs-pg"))


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS)
def test_walkthrough_sqlite(doc: str, sqlite_runs: Runs) -> None:
    sqlite_runs[doc].result()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("doc", DOCS)
def test_walkthrough_postgresql(doc: str, postgresql_runs: Runs) -> None:
    postgresql_runs[doc].result()


def test_the_parser_reads_commands_heredocs_and_expectations() -> None:
    doc = (
        "text\n```bash walkthrough\n# a comment\npalermo init\n# -> database ready\n"
        "cat > x.json <<'JSON'\n{\"a\": 1}\n# not a comment inside a heredoc\nJSON\n"
        "palermo search x \\\n  --as anna\n# -> (nothing)\nfalse\n# -> exit 1\n"
        "palermo screen mrz 'P<UTOERIKSSON<<ANNA<<<' --as a\n```\n"
        "```bash\nnot a walkthrough\n```\n"
    )
    found = steps(doc)
    assert [s.command.splitlines()[0] for s in found] == [
        "palermo init", "cat > x.json <<'JSON'", "palermo search x \\", "false",
        "palermo screen mrz 'P<UTOERIKSSON<<ANNA<<<' --as a",
    ]  # fmt: skip
    assert found[0].expected == ["database ready"] and found[0].line == 4
    assert found[1].command.endswith("JSON") and "# not a comment" in found[1].command
    assert found[2].nothing and found[3].exit_code == 1


def test_a_wrong_expectation_fails(tmp_path: Path) -> None:
    """The checker is not a rubber stamp: output that differs from the doc fails."""
    bad = [Step(1, "echo hello"), Step(2, "false")]
    bad[0].expected = ["goodbye"]
    session = subprocess.run(["bash", "-c", script(bad)], capture_output=True, text=True)
    with pytest.raises(AssertionError, match="goodbye"):
        check("doc", bad, outputs(session.stdout), session.stdout)
    wrong_status = [Step(1, "false")]
    session = subprocess.run(["bash", "-c", script(wrong_status)], capture_output=True, text=True)
    with pytest.raises(AssertionError, match="exit 1, not 0"):
        check("doc", wrong_status, outputs(session.stdout), session.stdout)
