"""Reading the total off recognised lines: the keyword rules, amounts and currencies."""
from __future__ import annotations

from decimal import Decimal

import pytest

from receipts.totals import Line, extract_total


def total_of(*texts: str, default: str | None = "EUR"):
    return extract_total([Line(t, 0.99) for t in texts], default_currency=default)


def test_total_skips_subtotal_tax_cash_and_change() -> None:
    total = total_of("FRESHMART", "Milk 2L 3.49", "SUBTOTAL 18.58", "GST 10% 1.86", "TOTAL 20.44",
                     "CASH 50.00", "CHANGE 29.56")
    assert total.amount == Decimal("20.44") and total.rule == "total"


def test_grand_total_beats_total_and_nett_total_counts_as_grand() -> None:
    assert total_of("TOTAL 18.00", "SERVICE CHARGE 1.80", "GRAND TOTAL 19.80").amount == Decimal("19.80")
    assert total_of("Nett Total: RM 42.15", "Total 40.00").amount == Decimal("42.15")


def test_chinese_rules_rank_as_specified() -> None:
    # 实收 (paid) over 合计 (sum), 找零 (change) skipped, 小计 skipped.
    total = total_of("北京便利店", "小计 11.50", "合计 11.50", "实收 12.00", "找零 0.50", default="CNY")
    assert (total.amount, total.currency, total.rule) == (Decimal("12.00"), "CNY", "实收/实付")
    # A VAT invoice: 价税合计 (小写) beats everything, its ¥ names the currency.
    invoice = total_of("合计 ¥100.00 ¥13.00", "价税合计(大写) 壹佰壹拾叁圆整 (小写)¥113.00", default="EUR")
    assert (invoice.amount, invoice.currency) == (Decimal("113.00"), "CNY")


def test_total_beats_heji_and_amount_due_is_the_last_resort() -> None:
    assert total_of("合计 30.00", "TOTAL 31.00").amount == Decimal("31.00")
    assert total_of("Items 3", "Amount due 7.25").amount == Decimal("7.25")
    assert total_of("应付 88.00", "合计 90.00", default="CNY").amount == Decimal("90.00")


@pytest.mark.parametrize("text, amount", [
    ("TOTAL 1,234.56", "1234.56"),
    ("TOTAL 1.234,56", "1234.56"),
    ("TOTAL 20,44", "20.44"),
    ("TOTAL 12.345", "12345.00"),
    ("TOTAL €1'234.50", "1234.50"),
    ("TOTAL: 20. 44", "20.44"),
    ("TOTAL ２０.４４", "20.44"),  # full-width digits
    ("Total incl. GST 20.44", "20.44"),  # the tax word qualifies the total
    ("TOTAL20.44", "20.44"),
])
def test_amounts_are_read_with_separators_and_decimal_commas(text: str, amount: str) -> None:
    assert total_of(text).amount == Decimal(amount)


def test_money_is_a_decimal_never_a_float() -> None:
    total = total_of("TOTAL 0.10")
    assert isinstance(total.amount, Decimal) and str(total.amount) == "0.10"


def test_the_label_may_stand_above_its_amount() -> None:
    assert total_of("Coffee 3.20", "TOTAL", "23.90").amount == Decimal("23.90")


def test_quantities_percentages_and_counts_are_not_totals() -> None:
    assert total_of("TOTAL QTY 3", "TOTAL ITEMS 3") is None
    assert total_of("Discount 10%", "TOTAL SAVINGS 2.00") is None
    assert total_of("合计 3 件 25.00", default="CNY").amount == Decimal("25.00")


@pytest.mark.parametrize("text, default, currency", [
    ("TOTAL RM 12.50", "EUR", "MYR"),
    ("TOTAL RMB 12.50", "EUR", "CNY"),
    ("TOTAL CNY 12.50", "EUR", "CNY"),
    ("TOTAL ￥12.50", "EUR", "CNY"),
    ("TOTAL 12.50 元", "EUR", "CNY"),
    ("TOTAL $12.50", "EUR", "USD"),
    ("TOTAL $12.50", "SGD", "SGD"),  # a bare $ is the task's dollar
    ("TOTAL S$12.50", "USD", "SGD"),
    ("TOTAL €12.50", "USD", "EUR"),
    ("TOTAL 12.50 EUR", "USD", "EUR"),
    ("TOTAL £12.50", "USD", "GBP"),
    ("TOTAL 12.50", "JPY", "JPY"),  # nothing printed: the task's currency
])
def test_the_currency_comes_from_symbols_and_codes_else_the_default(text: str, default: str, currency: str) -> None:
    assert total_of(text, default=default).currency == currency


def test_a_currency_printed_elsewhere_on_the_receipt_counts() -> None:
    assert total_of("Prices in RM", "Nasi lemak 8.50", "TOTAL 8.50", default="EUR").currency == "MYR"


def test_a_receipt_without_a_total_gives_none() -> None:
    assert total_of("Hello", "Thank you for shopping", "Coffee 3.20") is None


def test_confidence_follows_the_recogniser_and_the_rule() -> None:
    lines = [Line("TOTAL", 0.6), Line("20.44", 0.99)]
    total = extract_total(lines, default_currency="EUR")
    assert total.amount == Decimal("20.44") and 0.5 < total.confidence <= 0.6
    sure = extract_total([Line("TOTAL 20.44", 1.0)], default_currency="EUR")
    weaker = extract_total([Line("Amount due 20.44", 1.0)], default_currency="EUR")
    assert sure.confidence > weaker.confidence
