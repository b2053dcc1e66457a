"""A fiscal year that overlaps a stored year of the company (and does not
start the same day) fails the import, naming both years; the books stay as
they were (issue 12)."""

from __future__ import annotations

from pathlib import Path

from ekonomi.core.context import FileInput
from ekonomi.core.engine.pipeline import ImportRequest, run_import
from tests.fakes import ledger
from tests.test_core_pipeline import snapshot

SIE_HEAD = '#FLAGGA 0\n#SIETYP 4\n#ORGNR 556677-8899\n#FNAMN "Exempel AB"\n#KONTO 1910 "Kassa"\n#KONTO 3010 "Försäljning"\n'


def _import(engine, pm, company: str, tmp_path: Path, content: str, name: str) -> dict:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return run_import(engine, pm, ImportRequest(company=company, file=FileInput(path, name)))


def _sie(start: str, end: str, day: str) -> str:
    return SIE_HEAD + f'#RAR 0 {start} {end}\n#VER A 1 {day} "Sale"\n{{\n#TRANS 1910 {{}} 100.00\n#TRANS 3010 {{}} -100.00\n}}\n'


def _overlap_issue(result: dict) -> dict:
    assert result["status"] == "failed", result
    (issue,) = [i for i in result["issues"] if i["code"] == "import.year_overlap"]
    assert issue["severity"] == "error"
    return issue


def test_a_sie_year_inside_a_stored_decade_is_refused(engine, pm, company, tmp_path):
    assert _import(engine, pm, company, tmp_path, _sie("20150101", "20241231", "20200301"), "decade.se")["status"] == "succeeded"
    before = snapshot(engine)
    issue = _overlap_issue(_import(engine, pm, company, tmp_path, _sie("20240101", "20241231", "20240301"), "2024.se"))
    assert "2024-01-01" in issue["message"] and "2024-12-31" in issue["message"]
    assert "2015-01-01" in issue["message"]
    assert snapshot(engine) == before


def test_a_year_that_reaches_into_the_next_stored_year_is_refused(engine, pm, company, tmp_path):
    assert _import(engine, pm, company, tmp_path, ledger(year=2024, vouchers=1), "a.fake")["status"] == "succeeded"
    before = snapshot(engine)
    shifted = ledger(year=2023, vouchers=1).replace("year 2023-01-01 2023-12-31 0", "year 2023-07-01 2024-06-30 0")
    issue = _overlap_issue(_import(engine, pm, company, tmp_path, shifted.replace("2023-02-02", "2023-08-02"), "b.fake"))
    assert "2023-07-01–2024-06-30" in issue["message"] and "2024-01-01–2024-12-31" in issue["message"]
    assert snapshot(engine) == before


def test_a_stored_year_whose_end_would_move_into_the_next_is_refused(engine, pm, company, tmp_path):
    for year in (2023, 2024):
        assert _import(engine, pm, company, tmp_path, ledger(year=year, vouchers=1), f"{year}.fake")["status"] == "succeeded"
    before = snapshot(engine)
    longer = ledger(year=2023, vouchers=1).replace("year 2023-01-01 2023-12-31 0", "year 2023-01-01 2024-03-31 0")
    _overlap_issue(_import(engine, pm, company, tmp_path, longer, "c.fake"))
    assert snapshot(engine) == before


def test_adjacent_and_same_years_are_imported(engine, pm, company, tmp_path):
    for name, content in (("a.fake", ledger(year=2023)), ("b.fake", ledger(year=2024, prev_year=True)), ("c.fake", ledger(year=2023))):
        assert _import(engine, pm, company, tmp_path, content, name)["status"] == "succeeded"
