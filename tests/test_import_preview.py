"""Preview and confirmation (issue 11, "The books stay right"): every import
can be previewed without changing anything, and an import that is likely a
mistake needs an explicit confirmation (docs/contracts.md "Preview,
confirmation, undo")."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlmodel import SQLModel

from ekonomi.core import Attachment, AttachmentLink, Company, FiscalYear, Source, StateUpdate, Voucher, VoucherRow, hookimpl
from ekonomi.core.context import FileInput
from ekonomi.core.engine.pipeline import ImportRequest, run_import
from tests.conftest import TEST_DB

ORGNR = "556677-8899"  # the conftest company "Exempel AB"


def sie(program: str = "Fortnox", name: str = "Exempel AB", orgnr: str | None = ORGNR, vouchers: int = 4, amount: int = 100, year: int = 2023) -> str:
    """A SIE 4E file of ``year``: ``vouchers`` sales of ``amount`` kronor each."""
    head = ["#FLAGGA 0", f'#PROGRAM "{program}" 1.0', "#FORMAT PC8", "#GEN 20240110", "#SIETYP 4", f'#FNAMN "{name}"']
    if orgnr:
        head.append(f"#ORGNR {orgnr}")
    head += [f"#RAR 0 {year}0101 {year}1231", '#KONTO 1930 "Bank"', '#KONTO 3010 "Sales"', "#IB 0 1930 0.00"]
    head.append(f"#UB 0 1930 {vouchers * amount}.00")
    head.append(f"#RES 0 3010 -{vouchers * amount}.00")
    for i in range(1, vouchers + 1):
        head += [f'#VER A {i} {year}02{i % 28 + 1:02d} "Sale {i}"', "{", f"#TRANS 1930 {{}} {amount}.00", f"#TRANS 3010 {{}} -{amount}.00", "}"]
    return "\n".join(head) + "\n"


def write(tmp_path: Path, content: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="cp437")
    return path


def do(engine, pm, path: Path, **flags):
    return run_import(engine, pm, ImportRequest(company=ORGNR, file=FileInput(path, path.name), **flags))


def row_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(text(f'SELECT count(*) FROM "{t.name}"')).scalar_one() for t in SQLModel.metadata.sorted_tables}


def books(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT v.series, v.number, v.date, r.account, r.amount FROM voucher v JOIN voucher_row r ON r.voucher_id = v.id ORDER BY v.id, r.id")
        ).all()


def codes(result) -> list[str]:
    return [i["code"] for i in result["issues"] if i["severity"] == "error"]


@pytest.fixture(params=["staged", "direct"])
def sqlite_target(request, monkeypatch):
    """The SQLite targets in turn (staged, and direct for any size); PostgreSQL has one."""
    if TEST_DB == "postgres" and request.param == "direct":
        pytest.skip("one target on PostgreSQL")
    monkeypatch.setenv("EKONOMI_SQLITE_DIRECT_MB", "0" if request.param == "direct" else "1000")
    return request.param


# ---------------------------------------------------------------------------
# the new user's story
# ---------------------------------------------------------------------------


def test_another_companys_file_needs_confirmation(engine, pm, company, tmp_path, sqlite_target):
    assert do(engine, pm, write(tmp_path, sie(), "own.se"))["status"] == "succeeded"
    before = books(engine)
    foreign = write(tmp_path, sie(name="Grannens Bygg AB", orgnr=None, vouchers=3), "granne.se")

    preview = do(engine, pm, foreign, dry_run=True)
    assert preview["status"] == "previewed"
    assert preview["company_in_file"] == {"name": "Grannens Bygg AB", "orgnr": None}
    assert [r["code"] for r in preview["needs_confirmation"]] == ["import.confirm.company"]
    assert "Grannens Bygg AB" in preview["needs_confirmation"][0]["message"]
    assert books(engine) == before

    refused = do(engine, pm, foreign)
    assert refused["status"] == "failed"
    assert codes(refused) == ["needs_confirmation", "import.confirm.company"]
    assert books(engine) == before  # rolled back whole

    done = do(engine, pm, foreign, confirmed=True)
    assert done["status"] == "succeeded"
    confirmed = [i for i in done["issues"] if i["code"] == "import.confirm.company"]
    assert confirmed and confirmed[0]["severity"] == "warning"  # the log keeps what was confirmed
    assert len({(s, n) for s, n, *_ in books(engine)}) == 3


def test_same_company_named_otherwise_needs_no_confirmation(engine, pm, company, tmp_path):
    assert do(engine, pm, write(tmp_path, sie(), "a.se"))["status"] == "succeeded"
    # No orgnr, but the company's own name (case, form written out): not a reason.
    again = do(engine, pm, write(tmp_path, sie(name="EXEMPEL Aktiebolag", orgnr=None), "b.se"))
    assert again["status"] == "succeeded", again["issues"]


def test_an_orgnr_that_differs_stays_an_error_even_confirmed(engine, pm, company, tmp_path):
    result = do(engine, pm, write(tmp_path, sie(orgnr="559911-2233"), "x.se"), confirmed=True)
    assert result["status"] == "failed"
    assert "ledger.orgnr_mismatch" in codes(result)


# ---------------------------------------------------------------------------
# the other reasons
# ---------------------------------------------------------------------------


def test_replacing_a_year_another_program_wrote_needs_confirmation(engine, pm, company, tmp_path):
    first = do(engine, pm, write(tmp_path, sie(program="Fortnox"), "fortnox.se"))
    assert first["status"] == "succeeded" and first["program"] == "Fortnox"
    same = do(engine, pm, write(tmp_path, sie(program="Fortnox"), "fortnox2.se"), dry_run=True)
    assert same["needs_confirmation"] == []  # the same program again: the usual re-import

    other = write(tmp_path, sie(program="Visma Administration"), "visma.se")
    preview = do(engine, pm, other, dry_run=True)
    (reason,) = preview["needs_confirmation"]
    assert reason["code"] == "import.confirm.other_writer"
    assert reason["fiscal_year"] == {"start": "2023-01-01", "end": "2023-12-31"}
    (year,) = preview["years"]
    assert year["action"] == "replaced"
    assert year["replaces_source"]["import_id"] == first["import_id"]
    assert year["replaces_source"]["program"] == "Fortnox" and year["replaces_source"]["source"] == "sie4"

    assert codes(do(engine, pm, other)) == ["needs_confirmation", "import.confirm.other_writer"]
    assert do(engine, pm, other, confirmed=True)["status"] == "succeeded"


def test_replacing_a_year_another_source_wrote_needs_confirmation(engine, pm, company, tmp_path):
    from tests.fakes import ledger

    fake = tmp_path / "bok.fake"
    fake.write_text(ledger(vouchers=4), encoding="utf-8")
    assert do(engine, pm, fake)["status"] == "succeeded"
    preview = do(engine, pm, write(tmp_path, sie(), "sie.se"), dry_run=True)
    assert [r["code"] for r in preview["needs_confirmation"]] == ["import.confirm.other_writer"]
    assert "fake" in preview["needs_confirmation"][0]["message"]


def test_removing_more_than_half_of_a_years_vouchers_needs_confirmation(engine, pm, company, tmp_path, sqlite_target):
    assert do(engine, pm, write(tmp_path, sie(vouchers=4), "four.se"))["status"] == "succeeded"
    half = do(engine, pm, write(tmp_path, sie(vouchers=2), "two.se"), dry_run=True)
    assert half["needs_confirmation"] == []  # half is not more than half
    one = write(tmp_path, sie(vouchers=1), "one.se")
    preview = do(engine, pm, one, dry_run=True)
    (reason,) = preview["needs_confirmation"]
    assert reason["code"] == "import.confirm.vouchers_removed"
    (year,) = preview["years"]
    assert (year["vouchers_before"], year["vouchers_after"]) == (4, 1)
    refused = do(engine, pm, one)
    assert codes(refused) == ["needs_confirmation", "import.confirm.vouchers_removed"]
    assert len(books(engine)) == 8  # 4 vouchers of 2 rows, as before
    assert do(engine, pm, one, confirmed=True)["status"] == "succeeded"
    assert len(books(engine)) == 2


def test_an_import_into_an_empty_company_has_no_reasons(engine, pm, company, tmp_path):
    preview = do(engine, pm, write(tmp_path, sie(program="Visma"), "a.se"), dry_run=True)
    assert preview["needs_confirmation"] == []
    (year,) = preview["years"]
    assert year == {
        "start": "2023-01-01", "end": "2023-12-31", "action": "added", "vouchers_before": 0, "vouchers_after": 4,
        "result_before": "0.00", "result_after": "400.00", "replaces_source": None,
    }  # fmt: skip


# ---------------------------------------------------------------------------
# a preview changes nothing
# ---------------------------------------------------------------------------


class Underlag(Source):
    """A push-like source: a voucher with an attachment, and a cursor."""

    name = "underlag"
    title = "Underlag"
    version = "1.0"
    kind = "push"
    file_extensions = (".underlag",)

    def identify(self, head: bytes, filename: str) -> bool:
        return filename.endswith(".underlag")

    def normalize(self, raw, ctx):
        yield Company("Exempel AB", ORGNR)
        yield FiscalYear(date(2023, 1, 1), date(2023, 12, 31), 0)
        yield Voucher("U", "1", date(2023, 5, 1), "With a receipt", rows=(VoucherRow("1930", Decimal("5.00")), VoucherRow("3010", Decimal("-5.00"))))
        yield Attachment("kvitto.pdf", "application/pdf", data=b"%PDF receipt", links=(AttachmentLink("voucher", "U", "1"),))
        yield StateUpdate({"cursor": 7})


class Observer:
    def __init__(self) -> None:
        self.events: list[str] = []

    @hookimpl
    def ekonomi_sources(self):
        return [Underlag()]

    @hookimpl
    def ekonomi_event(self, event):
        self.events.append(event.kind)


def test_a_preview_changes_nothing(engine, pm, company, tmp_path, monkeypatch, sqlite_target):
    from ekonomi.core.books.rules import get_company
    from sqlmodel import Session

    monkeypatch.setenv("EKONOMI_FILE_STORE", str(tmp_path / "files"))
    observer = Observer()
    pm.register(observer, name="underlag", builtin=True)
    assert do(engine, pm, write(tmp_path, sie(), "own.se"))["status"] == "succeeded"
    counts, stored, files = row_counts(engine), books(engine), sorted((tmp_path / "files").rglob("*"))
    observer.events.clear()

    for path in (write(tmp_path, sie(vouchers=1, program="Visma", orgnr=None, name="X"), "x.se"), write(tmp_path, "u", "a.underlag")):
        preview = do(engine, pm, path, dry_run=True)
        assert preview["status"] == "previewed", preview["issues"]
        assert preview["years"] and preview["years"][0]["action"] == "replaced"

    after = row_counts(engine)
    assert after.pop("import_run") == counts.pop("import_run") + 2  # the previews' own runs, and nothing else
    after.pop("import_issue"), counts.pop("import_issue")
    assert after == counts
    assert books(engine) == stored
    assert sorted((tmp_path / "files").rglob("*")) == files  # no attachment kept
    assert observer.events == []  # a preview is not an import
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM source_state")).scalar_one() == 0
        statuses = conn.execute(text("SELECT status, dry_run FROM import_run ORDER BY id")).all()
    assert [s for s, _ in statuses] == ["succeeded", "previewed", "previewed"]
    with Session(engine) as session:
        from ekonomi.core.books.companies import latest_runs
        from ekonomi.core.engine import runlog

        comp = get_company(session, ORGNR)
        assert latest_runs(session, [comp])[comp.id].status == "succeeded"  # a preview is no one's latest import
        assert [r.status for r in runlog.latest(session, comp.id, 10)] == ["succeeded"]

    # The same import for real keeps the attachment and the cursor.
    assert do(engine, pm, tmp_path / "a.underlag", confirmed=True)["status"] == "succeeded"
    assert len(list((tmp_path / "files").rglob("*"))) > len(files)
    assert observer.events[-1] == "import_finished"


def test_a_preview_of_a_file_with_errors_lists_them(engine, pm, company, tmp_path):
    broken = sie().replace("#TRANS 3010 {} -100.00", "#TRANS 3010 {} -90.00", 1)
    preview = do(engine, pm, write(tmp_path, broken, "bad.se"), dry_run=True)
    assert preview["status"] == "previewed"
    assert any(i["severity"] == "error" for i in preview["issues"])
    assert "cannot be imported" in preview["error"]
    assert row_counts(engine)["voucher"] == 0


# ---------------------------------------------------------------------------
# the CLI
# ---------------------------------------------------------------------------


def test_cli_dry_run_json_and_yes(database_url, engine, pm, company, tmp_path):
    from ekonomi.core.cli import cli

    runner = CliRunner()
    base = ["--database-url", database_url]
    own = write(tmp_path, sie(), "own.se")
    assert runner.invoke(cli, [*base, "import", str(own), "--company", ORGNR]).exit_code == 0
    foreign = write(tmp_path, sie(name="Grannens Bygg AB", orgnr=None, vouchers=1, program="Visma"), "granne.se")

    out = runner.invoke(cli, [*base, "import", str(foreign), "--company", ORGNR, "--dry-run", "--json"])
    assert out.exit_code == 0, out.output
    preview = json.loads(out.stdout)
    for key in ("import_id", "status", "source", "company", "started_at", "finished_at", "duration_s", "fiscal_years", "counts", "progress", "issues"):
        assert key in preview
    assert preview["status"] == "previewed"
    assert preview["company_in_file"] == {"name": "Grannens Bygg AB", "orgnr": None}
    (year,) = preview["years"]
    assert set(year) == {"start", "end", "action", "vouchers_before", "vouchers_after", "result_before", "result_after", "replaces_source"}
    assert (year["action"], year["vouchers_before"], year["vouchers_after"]) == ("replaced", 4, 1)
    assert (year["result_before"], year["result_after"]) == ("400.00", "100.00")
    assert [r["code"] for r in preview["needs_confirmation"]] == [
        "import.confirm.company", "import.confirm.other_writer", "import.confirm.vouchers_removed",
    ]  # fmt: skip
    assert all(set(r) == {"code", "message", "fiscal_year"} for r in preview["needs_confirmation"])

    refused = runner.invoke(cli, [*base, "import", str(foreign), "--company", ORGNR, "--json"])
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["issues"][-4]["code"] == "needs_confirmation"
    text_out = runner.invoke(cli, [*base, "import", str(foreign), "--company", ORGNR, "--dry-run"])
    assert "needs confirmation" in text_out.output and "--yes" in text_out.output
    done = runner.invoke(cli, [*base, "import", str(foreign), "--company", ORGNR, "--yes", "--json"])
    assert done.exit_code == 0 and json.loads(done.stdout)["status"] == "succeeded"

    log = json.loads(runner.invoke(cli, [*base, "log", "--company", ORGNR, "--json"]).stdout)
    assert [r["status"] for r in log] == ["succeeded", "failed", "succeeded"]  # no previews in the log


def test_a_sync_of_the_active_integration_needs_no_confirmation(engine, pm, company, tmp_path):
    """Choosing the integration as the company's source was the decision
    that its data replaces what files brought; a sync has no one to ask."""
    from sqlmodel import Session

    from ekonomi.core.books.rules import get_company, set_source_enabled, switch_source
    from tests.web_support import FakeIntegrationPlugin

    pm.register(FakeIntegrationPlugin(), name="fakeint", builtin=True)
    first = do(engine, pm, write(tmp_path, sie(year=2024), "2024.se"))
    assert first["status"] == "succeeded", first["issues"]
    with Session(engine) as session:
        comp = get_company(session, ORGNR)
        set_source_enabled(session, comp, "fakeint", True)
        switch_source(session, pm, comp, "fakeint", actor="test")
        session.commit()
    preview = run_import(engine, pm, ImportRequest(company=ORGNR, source="fakeint", dry_run=True))
    assert preview["years"][0]["action"] == "replaced" and preview["years"][0]["vouchers_after"] == 1
    assert preview["needs_confirmation"] == []
    assert run_import(engine, pm, ImportRequest(company=ORGNR, source="fakeint"))["status"] == "succeeded"
