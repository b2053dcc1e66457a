"""What an import's source may keep and read besides its records, each in a
transaction of its own (ImportContext.save_config, .stored_balances)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..books import config
from ..books import models as m
from ..books.db import writer
from ..books.reports import account_balances
from .plugins import PluginManager


def config_saver(engine: Engine, pm: PluginManager, company_id: int, source: str) -> Callable[..., None]:
    """``save_config(values, clear=())`` for one company's source: committed
    at once, so a rotated token is kept whatever becomes of the import; no
    company event (no person changed anything)."""

    def save_config(values: Mapping[str, Any], clear: Collection[str] = ()) -> None:
        with Session(writer(engine)) as session:
            company = session.get(m.Company, company_id)
            assert company is not None
            config.configure(session, pm, company, source, values, actor=f"source:{source}", clear=clear, audit=False)
            session.commit()

    return save_config


def balance_reader(engine: Engine, company_id: int) -> Callable[..., dict[str, Decimal]]:
    """``stored_balances(year_start, through, exclude_sources=())`` of one company."""

    def stored_balances(year_start: date, through: date, exclude_sources: Collection[str] = ()) -> dict[str, Decimal]:
        with engine.connect() as conn:
            return account_balances(conn, company_id, year_start, through, exclude_sources)

    return stored_balances
