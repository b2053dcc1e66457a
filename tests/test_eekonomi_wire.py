"""The eEkonomi API's values as Python values (research notes 1.3, 2.3)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from ekonomi.plugins.eekonomi import wire


def test_both_spellings_of_debit_and_the_sign_of_sie():
    assert wire.net({"DebitAmount": Decimal("11250.00"), "CreditAmount": Decimal("0.00")}) == Decimal("11250.00")
    assert wire.net({"DebetAmount": 0, "CreditAmount": Decimal("9000.5")}) == Decimal("-9000.50")  # supplier-invoice rows
    assert wire.net({"DebitAmount": 10, "CreditAmount": 4}) == Decimal("6.00")  # both sides: the difference


def test_money_is_never_a_float():
    assert wire.money(Decimal("0.1")) + wire.money(Decimal("0.2")) == Decimal("0.30")
    assert wire.money("1250") == Decimal("1250.00") and wire.money(None) == Decimal("0.00")
    assert isinstance(wire.money(7), Decimal)


def test_dates_and_timestamps_as_the_service_writes_them():
    assert wire.day("2026-03-30") == wire.day("2026-03-30T00:00:00") == wire.day("2026-03-30T00:00:00.000Z") == date(2026, 3, 30)
    assert wire.day(None) is None
    moment = wire.instant("2026-06-27T17:34:17.6730217Z")  # seven digits: Python reads six
    assert moment == datetime(2026, 6, 27, 17, 34, 17, 673021, tzinfo=timezone.utc)
    assert wire.instant("2026-02-10T08:15:02Z") == datetime(2026, 2, 10, 8, 15, 2, tzinfo=timezone.utc)
    assert wire.stamp(moment) == "2026-06-27T17:34:17.673021Z"


def test_series_and_number():
    assert wire.series_and_number({"NumberAndNumberSeries": "A12", "NumberSeries": "A"}) == ("A", "12")
    assert wire.series_and_number({"NumberAndNumberSeries": "LF7", "NumberSeries": None}) == ("", "LF7")
    assert wire.series_and_number({"NumberAndNumberSeries": "12", "NumberSeries": "B"}) == ("B", "12")
