"""The import pipeline with the fake source: atomicity, replace rules,
re-import without duplicates, the ImportRun's contents."""

from __future__ import annotations

import hashlib

from pathlib import Path

import pytest
from sqlalchemy import text

from ekonomi.core.context import FileInput
from ekonomi.core.engine.pipeline import ImportRequest, run_import
from ekonomi.core.books.reports import trial_balance
from tests.fakes import ledger


def write(tmp_path: Path, content: str, name: str = "books.fake") -> FileInput:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return FileInput(path, name)


def do_import(engine, pm, company, file, **kw):
    return run_import(engine, pm, ImportRequest(company=company, file=file, **kw))


def count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def snapshot(engine) -> dict[str, list]:
    """Everything in the books, to compare before and after."""
    out = {}
    with engine.connect() as conn:
        for table, cols in (
            ("fiscal_year", "start, \"end\""),
            ("account", "number, name"),
            ("voucher", "series, number, date, text"),
            ("voucher_row", "account, amount, kind"),
            ("balance", "kind, account, amount"),
        ):
            out[table] = sorted(map(tuple, conn.execute(text(f"SELECT {cols} FROM {table}")).all()), key=repr)
    return out


def test_import_stores_everything_and_logs_it(engine, pm, company, tmp_path):
    path = write(tmp_path, ledger(vouchers=3))
    result = do_import(engine, pm, company, path)
    assert result["status"] == "succeeded", result
    assert result["source"] == "fake"
    assert result["company"] == company
    assert result["fiscal_years"] == [{"start": "2023-01-01", "end": "2023-12-31"}]
    assert result["counts"]["vouchers"] == 3
    assert result["counts"]["rows"] == 6
    assert result["counts"]["accounts"] == 2
    assert result["counts"]["balances"] == 1
    assert result["sha256"] == hashlib.sha256(path.path.read_bytes()).hexdigest()  # hashed while the import read it
    assert result["file"] == "books.fake"
    assert result["plugin_version"] == "1.0"
    assert result["started_at"].endswith("Z") and result["finished_at"].endswith("Z")
    assert result["duration_s"] >= 0
    assert count(engine, "voucher") == 3
    assert count(engine, "voucher_row") == 6
    with engine.connect() as conn:
        cid = conn.execute(text("SELECT id FROM company")).scalar_one()
        tb = trial_balance(conn, cid)
    by_account = {a["account"]: a for a in tb["accounts"]}
    assert by_account["1910"]["opening"] == "1000.00"
    assert by_account["1910"]["movement"] == "300.00"
    assert by_account["1910"]["closing"] == "1300.00"
    assert by_account["3010"]["opening"] == "0.00"
    assert by_account["3010"]["movement"] == "-300.00"
    assert by_account["3010"]["stated_closing"] is None


def test_reimport_same_file_changes_nothing(engine, pm, company, tmp_path):
    file = write(tmp_path, ledger(vouchers=5, prev_year=True))
    assert do_import(engine, pm, company, file)["status"] == "succeeded"
    before = snapshot(engine)
    assert do_import(engine, pm, company, file)["status"] == "succeeded"
    assert snapshot(engine) == before
    assert count(engine, "voucher") == 5
    assert count(engine, "import_run") == 2


def test_failure_halfway_leaves_data_unchanged(engine, pm, company, tmp_path):
    assert do_import(engine, pm, company, write(tmp_path, ledger(vouchers=4)))["status"] == "succeeded"
    before = snapshot(engine)
    # A bigger ledger that breaks after its vouchers were read (and written).
    broken = write(tmp_path, ledger(vouchers=9000, extra="boom\n"), "broken.fake")
    result = do_import(engine, pm, company, broken)
    assert result["status"] == "failed"
    assert "fake" in result["error"] and "broke on purpose" in result["error"]
    assert any(i["severity"] == "error" for i in result["issues"])
    assert snapshot(engine) == before


def test_data_error_fails_whole_import_with_every_issue(engine, pm, company, tmp_path):
    bad = ledger(vouchers=2) + "voucher A 9 2023-03-01 Bad\nrow 1910 10.00\nrow 3010 -9.00\n"
    bad += "voucher A 10 2024-03-01 Outside\nrow 1910 1.00\nrow 3010 -1.00\n"
    result = do_import(engine, pm, company, write(tmp_path, bad))
    assert result["status"] == "failed"
    codes = {i["code"]: i for i in result["issues"]}
    assert codes["ledger.unbalanced"]["line"] == bad.splitlines().index("voucher A 9 2023-03-01 Bad") + 1
    assert "1.00" in codes["ledger.unbalanced"]["message"]
    assert "ledger.outside_fiscal_year" in codes
    assert count(engine, "voucher") == 0
    assert count(engine, "fiscal_year") == 0


def test_orgnr_of_another_company_is_refused(engine, pm, company, tmp_path):
    result = do_import(engine, pm, company, write(tmp_path, ledger(orgnr="5560001111")))
    assert result["status"] == "failed"
    assert [i["code"] for i in result["issues"] if i["severity"] == "error"] == ["ledger.orgnr_mismatch"]
    assert count(engine, "voucher") == 0


def test_warnings_are_logged_with_success(engine, pm, company, tmp_path):
    text_ = ledger(vouchers=1) + "voucher A 1 2023-04-01 Again\nrow 1930 5.00\nrow 3010 -5.00\n"
    result = do_import(engine, pm, company, write(tmp_path, text_))
    assert result["status"] == "succeeded"
    codes = sorted(i["code"] for i in result["issues"])
    assert codes == ["ledger.duplicate_number", "ledger.undeclared_account"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM account WHERE number = '1930'")).scalar_one() == 1
    assert count(engine, "voucher") == 2  # both are kept: real programs repeat numbers


def test_replace_current_year_keeps_other_years(engine, pm, company, tmp_path):
    assert do_import(engine, pm, company, write(tmp_path, ledger(year=2022, vouchers=2), "a.fake"))["status"] == "succeeded"
    assert do_import(engine, pm, company, write(tmp_path, ledger(year=2023, vouchers=3), "b.fake"))["status"] == "succeeded"
    assert count(engine, "voucher") == 5
    # 2023 again with fewer vouchers and 2022 as previous year without vouchers:
    # 2023 is replaced whole, 2022 is left alone.  (It leaves 2023 with one
    # of its three vouchers: an import that needs the user's confirmation.)
    third = do_import(engine, pm, company, write(tmp_path, ledger(year=2023, vouchers=1, prev_year=True), "c.fake"), confirmed=True)
    assert third["status"] == "succeeded"
    with engine.connect() as conn:
        per_year = dict(
            conn.execute(
                text("SELECT f.start, count(v.id) FROM fiscal_year f LEFT JOIN voucher v ON v.fiscal_year_id = f.id GROUP BY f.start")
            ).all()
        )
        closing_2022 = conn.execute(
            text("SELECT count(*) FROM balance b JOIN fiscal_year f ON f.id = b.fiscal_year_id WHERE f.start = '2022-01-01'")
        ).scalar_one()
    per_year = {str(k)[:10]: v for k, v in per_year.items()}
    assert per_year == {"2022-01-01": 2, "2023-01-01": 1}
    # 2022 had an opening balance stored; the file's closing balance of 2022 was missing, so it is added.
    assert closing_2022 == 2


def test_earlier_year_with_vouchers_is_replaced(engine, pm, company, tmp_path):
    assert do_import(engine, pm, company, write(tmp_path, ledger(year=2022, vouchers=4), "a.fake"))["status"] == "succeeded"
    text_ = ledger(year=2023, vouchers=1, prev_year=True) + "voucher B 1 2022-06-01 Late\nrow 1910 7.00\nrow 3010 -7.00\n"
    # 2022 keeps one of its four vouchers: confirmed, as the user must.
    assert do_import(engine, pm, company, write(tmp_path, text_, "b.fake"), confirmed=True)["status"] == "succeeded"
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT v.series, v.number FROM voucher v JOIN fiscal_year f ON f.id = v.fiscal_year_id WHERE f.start = '2022-01-01'")
        ).all()
    assert [tuple(r) for r in rows] == [("B", "1")]


def test_plugin_error_is_named_in_log(engine, pm, company, tmp_path):
    result = do_import(engine, pm, company, write(tmp_path, ledger(vouchers=1, extra="boom\n")))
    assert result["status"] == "failed"
    assert result["issues"][-1]["code"] == "plugin_error"
    assert "fake" in result["issues"][-1]["message"]


def test_unknown_company_raises(engine, pm, tmp_path):
    from ekonomi.core.errors import NotFound

    with pytest.raises(NotFound):
        do_import(engine, pm, "556000-0000", write(tmp_path, ledger()))


def test_unrecognised_file_is_logged_as_failed(engine, pm, company, tmp_path):
    result = do_import(engine, pm, company, write(tmp_path, "<html>404</html>", "x.txt"))
    assert result["status"] == "failed"
    assert result["issues"][0]["code"] == "not_recognised"
    assert count(engine, "import_run") == 1


def test_amounts_with_more_than_two_decimals_are_refused(engine, pm, company, tmp_path):
    text_ = ledger(vouchers=1) + "voucher A 8 2023-03-01 Fraction\nrow 1910 0.005\nrow 3010 -0.005\n"
    text_ += "voucher A 9 2023-03-02 Trailing zeros are exact\nrow 1910 1.500\nrow 3010 -1.500\n"
    result = do_import(engine, pm, company, write(tmp_path, text_))
    assert result["status"] == "failed"
    errors = [i for i in result["issues"] if i["severity"] == "error"]
    assert [i["code"] for i in errors] == ["ledger.amount_precision", "ledger.amount_precision"]
    lines = text_.splitlines()
    assert {i["line"] for i in errors} == {lines.index("row 1910 0.005") + 1, lines.index("row 3010 -0.005") + 1}


def test_vouchers_without_any_fiscal_year_are_refused(engine, pm, company, tmp_path):
    text_ = "orgnr 556677-8899\naccount 1910 Kassa\naccount 3010 X\nvoucher A 1 2023-02-01 Lost\nrow 1910 1.00\nrow 3010 -1.00\n"
    result = do_import(engine, pm, company, write(tmp_path, text_))
    assert result["status"] == "failed"
    assert [i["code"] for i in result["issues"] if i["severity"] == "error"] == ["ledger.no_fiscal_year"]
    assert "SIE 4E" in result["issues"][0]["message"] or any("SIE 4E" in i["message"] for i in result["issues"])


def test_empty_file_is_refused_in_plain_words(engine, pm, company, tmp_path):
    result = do_import(engine, pm, company, write(tmp_path, "", "empty.se"))
    assert result["status"] == "failed"
    assert result["issues"][0]["code"] == "not_recognised" and "empty" in result["issues"][0]["message"]


def test_plugin_gone_before_the_queued_import_runs(engine, pm, company, tmp_path):
    """Queued with a source that is uninstalled before it runs: the import
    fails with the reason, it is not left queued."""
    from ekonomi.core.engine.pipeline import execute, submit

    import_id = submit(engine, pm, ImportRequest(company, write(tmp_path, ledger())))
    pm.unregister("fake")
    result = execute(engine, pm, import_id, file=write(tmp_path, ledger()))
    assert result["status"] == "failed"
    assert result["issues"][-1]["code"] == "not_found" and "fake" in result["issues"][-1]["message"]


@pytest.mark.parametrize("direct", [False, True])
def test_a_failure_after_the_import_log_is_written_leaves_nothing(engine, pm, company, tmp_path, monkeypatch, direct):
    """The store hands its transaction to the pipeline (store.committing):
    the rows, the replace rules and the import log commit together, on every
    target (PostgreSQL; SQLite staged, and on its own connection for a big
    input), and a failure after the log's UPDATE undoes all of it."""
    from ekonomi.core.engine import runlog, target

    if direct and engine.dialect.name != "sqlite":
        pytest.skip("SQLite's big-file path")
    if direct:
        monkeypatch.setenv("EKONOMI_SQLITE_DIRECT_MB", "0")
    assert do_import(engine, pm, company, write(tmp_path, ledger(vouchers=2)))["status"] == "succeeded"
    before = snapshot(engine)
    kinds: list[str] = []
    real_open, real_finish = target.open_target, runlog.finish
    monkeypatch.setattr("ekonomi.core.engine.store.open_target", lambda *a: kinds.append(type(t := real_open(*a)).__name__) or t)

    def finish_then_fail(conn, import_id, outcome, issues):
        real_finish(conn, import_id, outcome, issues)
        if outcome.status == "succeeded":
            raise RuntimeError("after the log")

    monkeypatch.setattr(runlog, "finish", finish_then_fail)
    result = do_import(engine, pm, company, write(tmp_path, ledger(vouchers=5), "other.fake"))
    assert result["status"] == "failed" and "after the log" in result["error"]
    assert snapshot(engine) == before
    want = "PostgresTarget" if engine.dialect.name != "sqlite" else "SqliteDirectTarget" if direct else "StagedTarget"
    assert kinds == [want]
    tgt = real_open(engine, 0, 1)
    try:
        assert isinstance(tgt, target.Target) and isinstance(tgt.writer, target.Writer)
    finally:
        tgt.close()


def test_an_amount_too_large_to_store_is_a_data_error_not_a_crash(engine, pm, company, tmp_path):
    before = snapshot(engine)
    text_ = ledger(vouchers=1) + "voucher A 8 2023-03-01 Huge\nrow 1910 92233720368547758.08\nrow 3010 -92233720368547758.08\n"
    result = do_import(engine, pm, company, write(tmp_path, text_))
    assert result["status"] == "failed"
    codes = [i["code"] for i in result["issues"] if i["severity"] == "error"]
    assert codes == ["import.amount_too_large"]
    assert f"line {text_.splitlines().index('voucher A 8 2023-03-01 Huge') + 1}" in result["issues"][-1]["message"]
    assert snapshot(engine) == before


@pytest.mark.parametrize("use_python_twins", [False, True])
def test_amounts_are_bounded_to_what_books_hold(engine, pm, company, tmp_path, monkeypatch, use_python_twins):
    """|amount| < 10^13 kr for every source (docs: columns.MAX_ORE), as a data error with its line."""
    if use_python_twins:
        from ekonomi.core.engine import _native, store

        monkeypatch.setattr(store, "VoucherPacker", _native.VoucherPacker)
    ok = ledger(vouchers=1) + "voucher A 8 2023-03-01 Largest\nrow 1910 9999999999999.99\nrow 3010 -9999999999999.99\n"
    assert do_import(engine, pm, company, write(tmp_path, ok))["status"] == "succeeded"
    for amount in ("10000000000000.00", "-10000000000000", "1E+13"):
        text_ = ledger(vouchers=1) + f"voucher A 9 2023-03-02 Too big\nrow 1910 {amount}\nrow 3010 {amount[1:] if amount[0] == '-' else '-' + amount}\n"
        result = do_import(engine, pm, company, write(tmp_path, text_, f"big{amount}.fake"))
        assert result["status"] == "failed", amount
        errors = [i for i in result["issues"] if i["severity"] == "error"]
        assert [i["code"] for i in errors] == ["import.amount_too_large"], errors
        assert "10^13" in errors[0]["message"]


def test_sums_beyond_64_bits_are_exact_in_every_report(engine, pm, company, tmp_path):
    """Many rows near the bound: SQLite's sum() of integers would overflow; the
    reports' sums (core/books/sums.py) stay exact on both databases."""
    from sqlalchemy import text as sql

    from ekonomi.core.books.reports import trial_balance

    big = "9999999999999.99"
    rows = "".join(f"voucher A {n} 2023-03-01 Big\nrow 1910 {big}\nrow 3010 -{big}\n" for n in range(1, 10001))
    assert do_import(engine, pm, company, write(tmp_path, ledger(vouchers=0) + rows))["status"] == "succeeded"
    with engine.connect() as conn:  # the plain sum: 10,000 × 10^15 öre is past 2^63
        cid = conn.execute(sql("SELECT id FROM company")).scalar_one()
        tb = {a["account"]: a["movement"] for a in trial_balance(conn, cid)["accounts"]}
    assert tb["1910"] == "99999999999999900.00" and tb["3010"] == "-99999999999999900.00"
