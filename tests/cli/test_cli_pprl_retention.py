"""``palermo pprl key set`` / ``pprl publish`` and ``retention sweep``'s purge line: bad
input is one line naming the option, never a traceback; the key is stored, not shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from palermo.coordination import federation_key
from palermo.store.store import Store
from tests.cli.test_cli_errors import assert_one_line_error, run


def test_pprl_key_and_publish_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"sqlite:///{tmp_path / 'n.db'}"
    short, good = tmp_path / "short", tmp_path / "good"
    short.write_bytes(b"too short")
    good.write_bytes(b"k" * 40 + b"\n")
    code, out, err = run(capsys, monkeypatch, "--db", db, "pprl", "key", "set",
                         "--federation", "eu", "--secret-file", str(short))  # fmt: skip
    assert_one_line_error(code, out, err, "secret: at least 32 bytes")
    code, out, err = run(capsys, monkeypatch, "--db", db, "pprl", "key", "set",
                         "--federation", "eu", "--secret-file", str(tmp_path / "none"))  # fmt: skip
    assert_one_line_error(code, out, err, "--secret-file")
    code, out, err = run(capsys, monkeypatch, "--db", db, "pprl", "key", "set",
                         "--federation", "eu", "--secret-file", str(good))  # fmt: skip
    assert code == 0 and "fingerprint" in out and "kkkk" not in out + err
    store = Store.open(db)
    assert federation_key.key_of(store, "eu").secret == b"k" * 40
    store.close()
    code, out, err = run(capsys, monkeypatch, "--db", db, "pprl", "publish", "--peer", "nope")
    assert_one_line_error(code, out, err, "--peer: no registered peer 'nope'")
    code, out, err = run(capsys, monkeypatch, "--db", db, "retention", "sweep")
    assert code == 0 and "0 purged, 0 awaiting peers" in out
