"""A fixed week of work gives exactly these CSV rows and XLSX cells, and one self-contained HTML page."""
from __future__ import annotations

import csv
import io
import re

import pytest

from tests.unit.reports.conftest import download, generate

HEADER = ["table", "id", "name", "published", "completed", "on_time", "cancelled", "distance_km", "active_hours",
          "receipts", "bonus_CNY", "bonus_EUR", "receipts_total_CNY", "receipts_total_EUR"]
ROWS = [
    ["courier", "u-ana", "ana", "", "2", "1", "", "4.021", "3.50", "4", "0.00", "20.50", "0.00", "35.40"],
    ["courier", "u-carl", "carl", "", "0", "0", "", "0.000", "0.00", "0", "0.00", "0.00", "0.00", "0.00"],
    ["courier", "u-wang", "王伟", "", "1", "1", "", "0.800", "1.00", "1", "100.00", "0.00", "56.78", "0.00"],
    ["route", "r-1", "Mitte loop", "2", "2", "", "1", "", "", "", "", "", "", ""],
    ["route", "r-2", "Spree run", "3", "1", "", "0", "", "", "", "", "", "", ""],
    ["total", "", "Total", "5", "3", "2", "1", "4.821", "4.50", "5", "100.00", "20.50", "56.78", "35.40"],
]


@pytest.fixture
def report(week, no_scans):
    return generate(week, "week", "2026-11-23")


def test_the_csv_has_exactly_the_expected_rows_and_a_bom(report):
    raw = download(report, "csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads 王伟 right
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == [HEADER, *ROWS]


def test_the_xlsx_has_a_sheet_per_table_with_typed_cells(report):
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(download(report, "xlsx")))
    assert book.sheetnames == ["Couriers", "Routes", "Totals"]
    couriers = [[c.value for c in row] for row in book["Couriers"].iter_rows()]
    assert couriers == [
        ["Courier ID", "Courier", "Completed", "On time", "Distance (km)", "Active (h)", "Receipts", "Bonus CNY",
         "Bonus EUR", "Receipts total CNY", "Receipts total EUR"],
        ["u-ana", "ana", 2, 1, 4.021, 3.5, 4, 0, 20.5, 0, 35.4],
        ["u-carl", "carl", 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ["u-wang", "王伟", 1, 1, 0.8, 1, 1, 100, 0, 56.78, 0],
    ]
    money = book["Couriers"]["I2"]
    assert money.data_type == "n" and money.number_format == "#,##0.00"
    assert book["Couriers"]["C2"].data_type == "n"
    assert [[c.value for c in row] for row in book["Routes"].iter_rows()] == [
        ["Route ID", "Route", "Published", "Completed", "Cancelled"],
        ["r-1", "Mitte loop", 2, 2, 1],
        ["r-2", "Spree run", 3, 1, 0],
    ]
    totals = {row[0].value: row[1] for row in book["Totals"].iter_rows(min_row=2)}
    assert {k: v.value for k, v in totals.items()} == {
        "Tasks published": 5, "Tasks completed": 3, "Completed on time": 2, "Tasks cancelled": 1,
        "Distance (km)": 4.821, "Active (h)": 4.5, "Receipts": 5, "Bonus CNY": 100, "Bonus EUR": 20.5,
        "Receipts total CNY": 56.78, "Receipts total EUR": 35.4}
    assert totals["Bonus EUR"].number_format == "#,##0.00"


def test_the_html_is_one_page_with_inline_charts_and_no_external_reference(report):
    page = download(report, "html").decode("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 3  # completions per day, bonus per courier in CNY and in EUR
    assert "王伟" in page and "Mitte loop" in page
    assert not re.search(r"(?i)(https?:|//[a-z0-9]|<script|<link|@import|url\()", page)


def test_the_report_records_its_totals_and_files(report):
    assert report["totals"]["completed"] == 3
    assert report["totals"]["bonus"] == {"CNY": "100.00", "EUR": "20.50"}
    assert {(f["format"], f["name"]) for f in report["files"]} == {
        ("csv", "legwork-week-2026-11-23.csv"), ("xlsx", "legwork-week-2026-11-23.xlsx"),
        ("html", "legwork-week-2026-11-23.html")}


def test_monday_midnight_counts_in_the_next_week(week, no_scans):
    report = generate(week, "week", "2026-11-30")
    rows = list(csv.reader(io.StringIO(download(report, "csv").decode("utf-8-sig"))))
    wang = next(r for r in rows if r[1] == "u-wang")
    assert wang[4] == "1"  # t4, completed at 2026-11-30T00:00:00
    total = rows[-1]
    assert total[4] == "1"


def test_the_last_millisecond_of_sunday_counts_in_its_week(week, no_scans):
    report = generate(week, "week", "2026-11-16")
    rows = list(csv.reader(io.StringIO(download(report, "csv").decode("utf-8-sig"))))
    ana = next(r for r in rows if r[1] == "u-ana")
    assert ana[4] == "1"  # t7, completed at 2026-11-22T23:59:59.999
