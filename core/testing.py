"""The test kit for source plugins: ``ekonomi.core.testing``.

Subclass ``SourceConformance`` in your plugin's tests, set ``source`` and
``sample_files`` (and ``orgnr`` if your samples name a company), and pytest
collects the standard checks every source must pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from . import records as r
from .checks import LedgerChecks
from .context import FileInput, ImportContext
from .hookspecs import hookimpl
from .source import Source, contract_problems

# Position of each record type in the canonical order; Issue, UnknownRecord
# and StateUpdate may come anywhere.
ORDER = {
    r.Scope: 0,
    r.Company: 1,
    r.FiscalYear: 2,
    r.Account: 3,
    r.Dimension: 3,
    r.DimensionObject: 3,
    r.Balance: 4,
    r.PeriodBalance: 4,
    r.Voucher: 5,
    r.Invoice: 6,
    r.Attachment: 7,
}
FOREIGN_FILES = {
    "an HTML page": b"<!DOCTYPE html><html><head><title>404 Not Found</title></head></html>\n",
    "a SIE 5 XML file": b'<?xml version="1.0" encoding="UTF-8"?>\n<SieEntry xmlns="http://www.sie.se/sie5">',
    "binary data": bytes(range(256)) * 4,
    "an empty file": b"",
}


class _Registered:
    def __init__(self, source: Source) -> None:
        self.source = source

    @hookimpl
    def ekonomi_sources(self) -> list[Source]:
        return [self.source]


class SourceConformance:
    """Standard checks for a Source.  Set the class attributes below."""

    source: ClassVar[Source]
    sample_files: ClassVar[list[str | Path]] = []
    orgnr: ClassVar[str] = "556677-8899"
    # Sources whose samples are allowed to contain errors (deliberately broken files).
    samples_must_import: ClassVar[bool] = True

    # -- helpers ---------------------------------------------------------------
    def _samples(self) -> list[Path]:
        paths = [Path(p) for p in self.sample_files]
        if not paths:
            pytest.skip("no sample_files set")
        return paths

    def _records(self, path: Path) -> Iterator[Any]:
        ctx = ImportContext(source=self.source.name, company_orgnr=None, input=FileInput(path, path.name))
        raw = self.source.fetch(ctx)
        yield from self.source.normalize(raw, ctx)

    # -- the checks ------------------------------------------------------------
    def test_contract(self) -> None:
        assert contract_problems(self.source) == []

    def test_config_schema_is_marshmallow(self) -> None:
        schema = self.source.config_schema
        if schema is None:
            return
        from marshmallow import Schema

        assert issubclass(schema, Schema)

    def test_identify_accepts_samples(self) -> None:
        if self.source.kind != "file":
            pytest.skip("not a file source")
        for path in self._samples():
            head = path.read_bytes()[: 64 * 1024]
            assert self.source.identify(head, path.name), f"{path.name} is not recognised"

    def test_identify_refuses_foreign_files(self) -> None:
        if self.source.kind != "file":
            pytest.skip("not a file source")
        for what, data in FOREIGN_FILES.items():
            assert not self.source.identify(data, "upload.bin"), f"{what} was claimed"

    def test_records_are_canonical_and_ordered(self) -> None:
        for path in self._samples():
            last = 0
            for rec in self._records(path):
                kind = type(rec)
                assert kind in ORDER or kind in (r.Issue, r.UnknownRecord, r.StateUpdate), f"{kind!r} is not a record"
                if kind in ORDER:
                    assert ORDER[kind] >= last, f"{kind.__name__} after a later kind of record in {path.name}"
                    last = ORDER[kind]

    def test_samples_pass_the_ledger_rules(self) -> None:
        if not self.samples_must_import:
            pytest.skip("samples may be broken")
        for path in self._samples():
            ctx = ImportContext(source=self.source.name, input=FileInput(path, path.name))
            checks = LedgerChecks(ctx)
            errors = []
            for rec in self._records(path):
                found = [rec] if type(rec) is r.Issue else list(checks.check(rec))
                errors += [i for i in found if i.severity == r.Severity.ERROR]
            errors += [i for i in checks.finish() if i.severity == r.Severity.ERROR]
            assert errors == [], f"{path.name}: {errors[:3]}"

    def test_reimport_changes_nothing(self, tmp_path: Path) -> None:
        """Import each sample twice into a real (SQLite) database: the
        second import succeeds and leaves the books exactly as they were."""
        if not self.samples_must_import or self.source.kind == "integration":
            pytest.skip("not applicable")
        from sqlalchemy import text
        from sqlmodel import Session

        from .books.companies import add_company
        from .books.db import init_db, make_engine
        from .engine.pipeline import ImportRequest, run_import
        from .engine.plugins import PluginManager
        from .books.rules import get_company, set_source_enabled

        engine = make_engine(f"sqlite:///{tmp_path / 'kit.db'}")
        init_db(engine)
        pm = PluginManager(load_entry_points=False)
        pm.register(_Registered(self.source), name="under-test")
        with Session(engine) as session:
            add_company(session, self.orgnr, "Conformance AB")
            set_source_enabled(session, get_company(session, self.orgnr), self.source.name, True)
            session.commit()

        def books() -> list[Any]:
            with engine.connect() as conn:
                return [
                    sorted(map(tuple, conn.execute(text(f"SELECT {cols} FROM {t}")).all()), key=repr)
                    for t, cols in (
                        ("voucher", "series, number, date, text"),
                        ("voucher_row", "account, amount, kind"),
                        ("balance", "kind, account, amount"),
                    )
                ]

        for path in self._samples():
            req = ImportRequest(company=self.orgnr, file=FileInput(path, path.name), source=self.source.name)
            first = run_import(engine, pm, req)
            assert first["status"] == "succeeded", first["issues"][:3]
            before = books()
            second = run_import(engine, pm, req)
            assert second["status"] == "succeeded", second["issues"][:3]
            assert books() == before
        engine.dispose()
