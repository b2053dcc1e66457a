"""Differential tests of the reader's speed-ups: each must give exactly what the
plain path gives.

* Plain voucher blocks read whole by the C accelerator (_scan.c, where
  built) vs the line-by-line reference (scan.py's pure-Python twin, which
  reads no block): the full record stream (every field, every issue, in
  order), the stats, the summary, the decoder's decisions and #KSUMMA.
* ``sie check`` on two cores (halves.py) vs one pass: the whole JSON report,
  cut at many #VER lines, including cuts where the halves cannot be joined.
* ``crc32_combine`` vs ``zlib.crc32`` of the concatenation.

Inputs: every corpus file, every generator ``--broken`` kind, and
hypothesis-mutated generator files.  Budget: SIE_FASTPATH_EXAMPLES (default 30).
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekonomi.plugins.sie4 import _native, halves, normalize, scan
from ekonomi.plugins.sie4.check import check_file
from ekonomi.plugins.sie4.checksum import crc32_combine

EXAMPLES = int(os.environ.get("SIE_FASTPATH_EXAMPLES", "30"))
KINDS = ["unbalanced", "bad_date", "unterminated_quote", "missing_brace", "wrong_checksum", "utf8", "crlf", "truncated"]
# Bytes that make lines unusual in the ways the fast paths must notice.
_SNIPPETS = [
    b"#TRANS", b"#VER", b"{", b"}", b'"', b"\\", b'\\"', b" ", b"\t", b"\r\n", b"\n", b"\n\n", b"\x94", b"\xc3\xa5",
    b"\xe5", b"\x8e\x84", b"{}", b"1", b".", b".005", b"-", b"20231340", b"#RTRANS", b"#BTRANS", b"#KSUMMA",
    b"\n}\n", b"\n{\n", b'{1 "\x94"}', b'\n#KONTO 9999 "Ny"\n', b"\n#VER A 1 20230101\n", b"\n#TRANS 9998 {} 1.00\n",
    b'\n#VER "A" "1" 20230101 "dup"\n{\n#TRANS 1910 {} 1\n#TRANS 3010 {} -1\n}\n', b"#UB 0 1910 5\n",
]


ACCELERATED = scan.read_blocks is not _native.read_blocks


def _stream(path: Path) -> tuple[list[str], str, str, tuple]:
    n = normalize.SieNormalizer(path, path.name)
    records = [repr(r) for r in n.records()]
    d, ck = n.decoder, n.checksum
    decoder = (d.counts, d.first_line, d.prior, d.remembered, d.replacement_lines, d.mojibake_lines)
    return records, repr(n.stats), repr(n.summary), (repr(decoder), ck.computed, ck.length)


def _line_by_line(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], str, str, tuple]:
    with monkeypatch.context() as m:
        for name in ("read_blocks", "flush_sums", "new_state"):
            m.setattr(scan, name, getattr(_native, name))
        return _stream(path)


def _same_on_every_path(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _stream(path) == _line_by_line(path, monkeypatch), path.name


def _ver_cuts(data: bytes, picks: list[tuple[float, float]]) -> list[tuple[int, int, int]]:
    first = re.search(rb"^[ \t]*#VER[ \t]", data, re.M)
    vers = [m.start() + 1 for m in re.finditer(rb"\n#VER", data)]
    if first is None or len(vers) < 2:
        return []
    cuts = set()
    for a, b in picks:
        i, j = sorted((int(a * (len(vers) - 1)), int(b * (len(vers) - 1))))
        if first.start() < vers[i] < vers[j]:
            cuts.add((first.start(), vers[i], vers[j]))
    return sorted(cuts)


def _same_in_halves(path: Path, picks: list[tuple[float, float]]) -> None:
    single = check_file(path, halves=False)
    for cut in _ver_cuts(path.read_bytes(), picks):
        assert check_file(path, halves=cut) == single, (path.name, cut)


_PICKS = [(0.0, 1.0), (0.0, 0.5), (0.5, 1.0), (0.3, 0.7), (0.1, 0.2), (0.9, 1.0)]


@pytest.fixture(scope="module")
def generated(gen_sie4: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("gen")
    files = {}
    for kind in [None, *KINDS]:
        path = out / f"{kind or 'valid'}.se"
        extra = ["--broken", kind] if kind else []
        subprocess.run(
            [sys.executable, str(gen_sie4), "--vouchers", "300", "--seed", "7", "--out", str(path), "--summary", str(path.with_suffix(".json")), *extra],
            check=True,
        )
        files[kind or "valid"] = path
    return files


def _inputs(sie_corpus: Path, generated: dict[str, Path]) -> list[Path]:
    return [p for p in sorted(sie_corpus.iterdir()) if p.name != "MANIFEST.md"] + list(generated.values())


def test_blocks_read_whole_equal_line_by_line(sie_corpus: Path, generated: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    for path in _inputs(sie_corpus, generated):
        _same_on_every_path(path, monkeypatch)


def test_pieces_of_any_size_read_alike(sie_corpus: Path, generated: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader's pieces end before a #VER line where they can (so a block
    lies whole in one piece), else at any line end (a block longer than a
    piece, a file without #VER): whatever the piece size, the pieces are
    the file, and the records, stats and summary are the same."""
    from ekonomi.plugins.sie4 import reader

    for path in [*_inputs(sie_corpus, generated)[:6], generated["valid"], generated["crlf"], generated["truncated"]]:
        usual = _stream(path)
        data = path.read_bytes()
        for size in (7, 100, 4096):
            with monkeypatch.context() as m:
                m.setattr(reader, "CHUNK", size)
                pieces = list(reader.LineReader(path).pieces())
                assert b"".join(pieces) == data.removeprefix(reader.BOM), (path.name, size)
                assert all(p.endswith(b"\n") for p in pieces[:-1])
                if size == 4096:  # past the header, each piece starts at a #VER line, unless no #VER followed in 4 KB
                    first_ver, at = data.find(b"\n#VER"), 0
                    for p, nxt in zip(pieces, pieces[1:]):
                        at += len(p)
                        if first_ver >= 0 and at > first_ver and b"\n#VER" in p[-4096:]:
                            assert nxt.startswith(b"#VER"), (path.name, at, nxt[:20])
                assert _stream(path) == usual, (path.name, size)


# Blocks at the edges of what the fast paths take: each must come out as the
# line path reads it, taken whole or left to it.
_EDGE_BLOCKS = [
    b'#VER A 1 20230105\n{\n#TRANS 1910 {} 1\n#TRANS 3010 {} -1\n}\n',
    b'#VER "A" "2" 20230105 "Text \\"citat\\" \\ slut" 20230106 "Sign \\"x\\""\n{\n #TRANS 1910 {1 "10" 2 "P1"} 1.50 20230105 "R \\"q\\"" 2.5 "S"\n\t#TRANS 3010 {} -1.5 "" "" "" ""\n}\n',
    b'#VER A 3 20230105 "" ""\n{\n#TRANS 1910 {} 1.5\n#TRANS 3010 {} -1.50\n}\n',
    b'#VER A 4 20230105 "T" ""  "Sig"\r\n{\r\n#TRANS 1910 {} 1 \r\n#TRANS 3010 {} -1\t\r\n}\r\n',
    b'#VER A 5 20230105\n{\n#TRANS 1910 {} 1.234\n#TRANS 3010 {} -1.234\n}\n',
    b'#VER A 6 20230105\n{\n#TRANS 1910 {} 1.\n#TRANS 3010 {} -1\n}\n',
    b'#VER A 7 202301051\n{\n#TRANS 1910 {} 1\n#TRANS 3010 {} -1\n}\n',
    b'#VER A 8 20231305\n{\n#TRANS 1910 {} 1\n#TRANS 3010 {} -1\n}\n',
    b'#VER A 9 20230105 "T" 20230231\n{\n#TRANS 1910 {} 1\n#TRANS 3010 {} -1\n}\n',
    b'#VER A 10 20230105\n{\n#TRANS 1910 {1234567890 "x"} 1\n#TRANS 3010 {} -1\n}\n',
    b'#VER A 11 20230105\n{\n#TRANS 1910 {1 "\x94"} 1 20230105 "\x8e\x84"\n#TRANS 3010 {1 "\xc3\xa5"} -1 20231340\n}\n',
    b'#VER A 12 20230105\n{\n#TRANS 1910 {} 1\n\n#TRANS 3010 {} -1\n}\n',
    b'#VER A 13 20230105\n{\n#TRANS 1910 {} 1\n#RTRANS 3010 {} -1\n#TRANS 3010 {} -1\n}\n',
    b'#VER A 14 20230105 "T" 20230105 "S" extra\n{\n#TRANS 1910 {} 1\n#TRANS 3010 {} -1 20230105 "t" 1 "s" extra\n}\n',
    b'#VER A\\ 15 20230105 "unterminated\n{\n#TRANS 1910 {} 1 20230105 "open\n#TRANS 3010 {} -1\n}\n',
    b'#VER "" "" 20230105\n{ \n#TRANS 1910 {}  1\n#TRANS 3010 { } -1\n} x\n',
    b'#VER A 17 20230105\n{\n#TRANS 1910 {} -0\n#TRANS 3010 {} 0.00\n}\n',
    b'#VER A 18 20230105\n{\n#TRANS 1910 {} 1 20230105 "t" -2.125\n#TRANS 3010 {} -1 "" "" 3,5\n}\n',
    # The sums (debit, credit, per-account movements, their exponents and the
    # order accounts first appear in): 0, 1 and 2 decimals mixed on one
    # account, negative zeros, a 16-digit amount among small ones, 15-digit
    # amounts that overflow 64-bit öre when added, more accounts in one read
    # than the C reader's table holds.
    b'#VER A 19 20230105\n{\n#TRANS 2000 {} 5\n#TRANS 1910 {} -0.5\n#TRANS 2000 {} 0.25\n#TRANS 4000 {} -0.00\n#TRANS 1910 {} -4.75\n}\n',
    b'#VER A 20 20230105\n{\n#TRANS 4000 {} 1.10\n#TRANS 5000 {} 1234567890123456\n#TRANS 6000 {} -7\n#TRANS 4000 {} -1234567890123457.10\n}\n',
    b'#VER A 21 20230105\n{\n' + b'#TRANS 7000 {} 999999999999999\n#TRANS 7001 {} -99999999999999.9\n' * 120 + b'}\n',
    b'#VER A 22 20230105\n{\n' + b''.join(b'#TRANS %d {} %d.5\n#TRANS 1910 {} -%d.50\n' % (1000 + i, i, i) for i in range(700)) + b'}\n',
]


def test_edge_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    head = b'#FLAGGA 0\n#SIETYP 4\n#RAR 0 20230101 20231231\n#KONTO 1910 "Kassa"\n'
    for i, block in enumerate(_EDGE_BLOCKS):
        for with_sum in (False, True):
            path = tmp_path / f"edge{i}{with_sum}.se"
            # A plain voucher first: the first #VER always goes line by line (it ends the header).
            body = head + (b"#KSUMMA\n" if with_sum else b"") + _EDGE_BLOCKS[0] + block + b"\n" + _EDGE_BLOCKS[0]
            path.write_bytes(body + (b"#KSUMMA 1\n" if with_sum else b""))
            _same_on_every_path(path, monkeypatch)


def test_the_c_reader_holds_nothing_of_a_reader_after_it(generated: dict[str, Path]) -> None:
    """The C reader's lookup slots and sums belong to one reader: once the
    reader is gone, nothing in C still holds its caches (a worker reading
    file after file must not keep them all)."""
    if not ACCELERATED:
        pytest.skip("the C reader is not built")
    reader = normalize.SieNormalizer(generated["valid"])
    assert sum(1 for _ in reader.records()) > 100
    accounts, objects = reader.fields.accounts, reader.fields.objects
    assert accounts and len(objects) > 1
    del reader
    gc.collect()
    assert sys.getrefcount(accounts) == sys.getrefcount(objects) == 2  # the name here, and the call's argument


def test_halves_equal_one_pass(sie_corpus: Path, generated: dict[str, Path]) -> None:
    for path in _inputs(sie_corpus, generated):
        _same_in_halves(path, _PICKS)


def test_halves_are_joined_on_a_plain_file(generated: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    joined = []
    merge = halves.merge
    monkeypatch.setattr(halves, "merge", lambda *a: joined.append(merge(*a)) or joined[-1])
    _same_in_halves(generated["valid"], [(0.3, 0.9)])
    assert joined == [True]


def _mutate(base: bytes, data: st.DataObject) -> bytes:
    buf = bytearray(base)
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(buf) - 1))
        op = data.draw(st.sampled_from(["insert", "insert", "delete", "flip", "copy_line"]))
        if op == "insert":
            buf[pos:pos] = data.draw(st.sampled_from(_SNIPPETS))
        elif op == "delete":
            del buf[pos : pos + data.draw(st.integers(1, 6))]
        elif op == "flip":
            buf[pos] = data.draw(st.integers(0, 255))
        else:
            s = buf.rfind(b"\n", 0, pos) + 1
            e = buf.find(b"\n", pos) + 1 or len(buf)
            to = buf.rfind(b"\n", 0, data.draw(st.integers(0, len(buf) - 1))) + 1
            buf[to:to] = buf[s:e]
    return bytes(buf)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.data())
def test_mutated_files(generated: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: st.DataObject) -> None:
    base = generated[data.draw(st.sampled_from(sorted(generated)))].read_bytes()
    path = tmp_path / "m.se"
    path.write_bytes(_mutate(base, data))
    _same_on_every_path(path, monkeypatch)
    picks = [(data.draw(st.floats(0, 1)), data.draw(st.floats(0, 1))) for _ in range(2)]
    _same_in_halves(path, picks)


@given(st.binary(max_size=3000), st.binary(max_size=3000))
def test_crc32_combine(a: bytes, b: bytes) -> None:
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


# Found while writing the fast paths: the plain path and the old line fast path
# disagreed with the careful lexer here.


def test_period_of_year_zero_is_an_issue_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "p.se"
    path.write_bytes(b'#FLAGGA 0\n#SIETYP 2\n#RAR 0 20230101 20231231\n#PSALDO 0 000001 1910 {} 5.00\n')
    codes = [(i["code"], i["line"]) for i in check_file(path)["issues"]]
    assert ("sie.period.invalid", 4) in codes


def test_voucher_date_field_without_text_is_the_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Positional fields: '#VER A 1 20230101 20230102' has the text "20230102" and no registration date.
    path = tmp_path / "v.se"
    path.write_bytes(b"#FLAGGA 0\n#SIETYP 4\n#VER A 1 20230101 20230102\n{\n#TRANS 1910 {} 1\n#TRANS 3010 {} -1\n}\n")
    vouchers = [r for r in normalize.SieNormalizer(path).records() if type(r).__name__ == "Voucher"]
    assert [(v.text, v.registration_date) for v in vouchers] == [("20230102", None)]
    _same_on_every_path(path, monkeypatch)


def test_halves_with_a_false_ver_in_the_header(tmp_path: Path) -> None:
    # Found by test_mutated_files: a header line starting "#VER#…" (no voucher)
    # once cut the worker's header short, so it saw the accounts as undeclared.
    lines = [b"#FLAGGA 0", b"#SIETYP 4", b"#VER#TRANS#ADRESS x", b"#RAR 0 20230101 20231231"]
    lines += [b'#KONTO %d "K"' % (1000 + a) for a in range(50)]
    for i in range(1, 400):
        lines += [b"#VER A %d 20230105" % i, b"{", b"#TRANS %d {} 1" % (1000 + i % 50), b"#TRANS 1001 {} -1", b"}"]
    path = tmp_path / "falsever.se"
    path.write_bytes(b"\n".join(lines) + b"\n")
    data = path.read_bytes()
    vers = [m.start() + 1 for m in re.finditer(rb"\n#VER ", data)]
    single = check_file(path, halves=False)
    assert not [i for i in single["issues"] if i["code"] == "ledger.undeclared_account"]
    assert check_file(path, halves=(data.index(b"#VER#"), vers[100], vers[300])) == single
    _same_in_halves(path, _PICKS)


def test_halves_with_sums_decimal_rounds(tmp_path: Path) -> None:
    # 30-digit amounts: Decimal rounds the running sums at 28 digits, so the
    # halves cannot be added up and the file is read in one pass.
    lines = [b"#FLAGGA 0", b"#SIETYP 4", b"#RAR 0 20230101 20231231", b'#KONTO 1910 "Kassa"', b'#KONTO 3010 "F"']
    for i in range(1, 41):
        big = b"%d23456789012345678901234567.%02d" % (i % 9 + 1, i)
        lines += [b"#VER A %d 20230105" % i, b"{", b"#TRANS 1910 {} " + big, b"#TRANS 3010 {} -" + big, b"#TRANS 3010 {} 0.01", b"}"]
    path = tmp_path / "big.se"
    path.write_bytes(b"\n".join(lines) + b"\n")
    _same_in_halves(path, _PICKS)


def test_c_accelerator_is_built() -> None:
    # Optional where no compiler is (the line-by-line reader gives the same
    # records, slower), but CI's machine has one: there it must be used.
    if not ACCELERATED:
        if os.environ.get("CI") == "true":
            pytest.fail("the C accelerator ekonomi.plugins.sie4._scan was not built (see setup.py)")
        pytest.skip("the C accelerator is not built here (no C compiler?); the line-by-line reader is tested")
    from ekonomi.plugins.sie4 import _scan

    assert scan.read_blocks is _scan.read_blocks


# Voucher blocks made from the grammar's pieces, right and slightly wrong, so
# that the fast paths' accept/refuse decisions and field handling are tried
# far beyond the generator's shapes.
_SEP = st.sampled_from([b" ", b"  ", b"\t", b" \t"])
_QUOTED_CHARS = st.sampled_from([b"a", b"Z", b" ", b"\\", b'\\"', b"\x94", b"\xc3\xa5", b"\xe5", b"{", b"}", b"1", b"\t"])


def _quoted() -> st.SearchStrategy[bytes]:
    return st.lists(_QUOTED_CHARS, max_size=5).map(lambda xs: b'"' + b"".join(xs) + b'"')


_FIELD = st.one_of(st.sampled_from([b"A", b"12", b"B\\1", b"\x8e"]), _quoted())
_DATE = st.sampled_from([b"20230105", b"20231231", b"20230230", b"2023010", b"202301051", b'""'])
_AMOUNT = st.sampled_from([b"1", b"-1", b"1.5", b"1.50", b"-0.01", b"1.234", b"1.", b"0", b"-0", b"12345678901234567890.12", b"x"])
_OBJECTS = st.sampled_from([b"{}", b"{ }", b'{1 "10"}', b'{1 "10" 6 "P1"}', b'{ 1 "\x94" }', b'{1 10}', b'{"1" "10"}', b'{1234567890 "x"}'])
_EOL = st.sampled_from([b"\n", b"\r\n", b" \n", b"\t\r\n"])


@st.composite
def _block(draw: st.DrawFn) -> bytes:
    head = [b"#VER", draw(_FIELD), draw(_FIELD), draw(_DATE)]
    for extra in (_quoted(), st.one_of(_DATE, st.just(b'""')), _quoted()):
        if not draw(st.booleans()):
            break
        head.append(draw(extra))
    lines = [draw(_SEP).join(head) + draw(_EOL), draw(st.sampled_from([b"{", b" {", b"{ "])) + draw(_EOL)]
    for _ in range(draw(st.integers(1, 4))):
        row = [b"#TRANS", draw(st.sampled_from([b"1910", b"3010", b"9999", b"19x"])), draw(_OBJECTS), draw(_AMOUNT)]
        for extra in (_DATE, _quoted(), st.sampled_from([b"2", b"-1.5", b'""', b"3,5"]), _quoted()):
            if not draw(st.booleans()):
                break
            row.append(draw(extra))
        lines.append(draw(st.sampled_from([b"", b"   ", b"\t"])) + draw(_SEP).join(row) + draw(_EOL))
    lines.append(draw(st.sampled_from([b"}", b" }", b"} "])) + draw(_EOL))
    return b"".join(lines)


@settings(max_examples=EXAMPLES * 4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blocks=st.lists(_block(), min_size=1, max_size=3), with_sum=st.booleans())
def test_made_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blocks: list[bytes], with_sum: bool) -> None:
    head = b'#FLAGGA 0\n#SIETYP 4\n#RAR 0 20230101 20231231\n#KONTO 1910 "Kassa"\n'
    body = head + (b"#KSUMMA\n" if with_sum else b"") + _EDGE_BLOCKS[0] + b"".join(blocks) + _EDGE_BLOCKS[0]
    path = tmp_path / "made.se"
    path.write_bytes(body + (b"#KSUMMA 1\n" if with_sum else b""))
    _same_on_every_path(path, monkeypatch)
