"""Fuzzing: random bytes and mutated corpus files never raise; every problem
comes back as a reported issue.  The budget is small by default; raise it by
hand with SIE_FUZZ_EXAMPLES=5000."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekonomi.core import FileInput, ImportContext, Issue
from ekonomi.plugins.sie4.check import check_file
from ekonomi.plugins.sie4.lexer import split_fields
from ekonomi.plugins.sie4.source import Sie4Source

EXAMPLES = int(os.environ.get("SIE_FUZZ_EXAMPLES", "40"))
SEED = Path(__file__).resolve().parent.parent.parent / "shared" / "sie-corpus" / "jsisie__sie_test_files__BL0001_typ4.SE"


def _run(path: Path) -> None:
    report = check_file(path)
    assert set(report) >= {"issues", "counts", "checksum"}
    for rec in Sie4Source().normalize(FileInput(path, path.name), ImportContext(source="sie4")):
        assert rec is not None
        if isinstance(rec, Issue):
            assert rec.code.startswith(("sie.", "ledger."))


@settings(max_examples=EXAMPLES * 5, deadline=None)
@given(st.binary(max_size=300))
def test_lexer_never_raises(line: bytes) -> None:
    line = line.replace(b"\n", b" ").strip()
    if line:
        fields, problems = split_fields(b"#X " + line)
        assert fields[0] == b"#X"


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    p = tmp_path / "r.se"
    p.write_bytes(b"#FLAGGA 0\n" + data)
    _run(p)


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.data())
def test_mutated_corpus_file(tmp_path: Path, sie_corpus: Path, data) -> None:
    base = (sie_corpus / SEED.name).read_bytes()
    buf = bytearray(base)
    for _ in range(data.draw(st.integers(1, 20))):
        pos = data.draw(st.integers(0, len(buf) - 1))
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        if op == "flip":
            buf[pos] = data.draw(st.integers(0, 255))
        elif op == "insert":
            buf[pos:pos] = data.draw(st.sampled_from([b'"', b"{", b"}", b"\\", b"\n", b"#VER", b"#TRANS", b"\t", b"\x00"]))
        elif op == "delete":
            del buf[pos : pos + data.draw(st.integers(1, 40))]
        else:
            del buf[pos:]
            break
    p = tmp_path / "m.se"
    p.write_bytes(bytes(buf))
    _run(p)
