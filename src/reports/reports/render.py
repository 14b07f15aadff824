"""The three formats of a report, written to files: CSV, XLSX and a self-contained HTML page.

- CSV: UTF-8 with a BOM (Excel then reads Chinese names right), one table whose first
  column says which block a row belongs to (`courier`, `route`, `total`), so it parses
  with any CSV reader.
- XLSX (XlsxWriter, constant-memory mode): a sheet per table; counts are numbers, money
  cells numbers with two decimals.
- HTML: one file, inline CSS and inline SVG charts (completions per day, bonus per
  courier); it references no URL, so it opens offline and prints as it shows.

    >>> write_csv(figures, path); write_xlsx(figures, path); write_html(figures, path, generated_at)
"""
from __future__ import annotations

import csv
import html
from decimal import Decimal
from pathlib import Path

from reports.aggregate import CourierRow, Figures, money

KM = "0.000"


def _csv_columns(figures: Figures) -> list[str]:
    bonus, receipts = figures.currencies()
    return (["table", "id", "name", "published", "completed", "on_time", "cancelled", "distance_km",
             "active_hours", "receipts"] + [f"bonus_{c}" for c in bonus] + [f"receipts_total_{c}" for c in receipts])


def _money_cells(row: CourierRow, bonus: list[str], receipts: list[str]) -> list[Decimal]:
    return [money(row.bonus.get(c, Decimal(0))) for c in bonus] + [money(row.receipts_total.get(c, Decimal(0)))
                                                                  for c in receipts]


def write_csv(figures: Figures, path: Path) -> None:
    bonus, receipts = figures.currencies()
    empty_money = [""] * (len(bonus) + len(receipts))
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(_csv_columns(figures))
        for row in figures.courier_rows():
            writer.writerow(["courier", row.courier_id, row.name, "", row.completed, row.on_time, "", row.distance_km,
                             row.active_hours, row.receipts, *_money_cells(row, bonus, receipts)])
        for route in figures.route_rows():
            writer.writerow(["route", route.route_id, route.name, route.published, route.completed, "",
                             route.cancelled, "", "", "", *empty_money])
        total = figures.totals()
        routes = figures.route_rows()
        writer.writerow(["total", "", "Total", sum(r.published for r in routes), total.completed, total.on_time,
                         sum(r.cancelled for r in routes), total.distance_km, total.active_hours, total.receipts,
                         *_money_cells(total, bonus, receipts)])


def write_xlsx(figures: Figures, path: Path) -> None:
    import xlsxwriter

    bonus, receipts = figures.currencies()
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    try:
        bold = workbook.add_format({"bold": True})
        money_fmt = workbook.add_format({"num_format": "#,##0.00"})
        km_fmt = workbook.add_format({"num_format": KM})
        hours_fmt = workbook.add_format({"num_format": "0.00"})

        sheet = workbook.add_worksheet("Couriers")
        header = (["Courier ID", "Courier", "Completed", "On time", "Distance (km)", "Active (h)", "Receipts"]
                  + [f"Bonus {c}" for c in bonus] + [f"Receipts total {c}" for c in receipts])
        sheet.write_row(0, 0, header, bold)
        for r, row in enumerate(figures.courier_rows(), start=1):
            sheet.write_string(r, 0, row.courier_id)
            sheet.write_string(r, 1, row.name)
            sheet.write_number(r, 2, row.completed)
            sheet.write_number(r, 3, row.on_time)
            sheet.write_number(r, 4, float(row.distance_km), km_fmt)
            sheet.write_number(r, 5, float(row.active_hours), hours_fmt)
            sheet.write_number(r, 6, row.receipts)
            for c, amount in enumerate(_money_cells(row, bonus, receipts), start=7):
                sheet.write_number(r, c, float(amount), money_fmt)
        sheet.set_column(0, 0, 38)
        sheet.set_column(1, len(header) - 1, 14)

        sheet = workbook.add_worksheet("Routes")
        sheet.write_row(0, 0, ["Route ID", "Route", "Published", "Completed", "Cancelled"], bold)
        for r, route in enumerate(figures.route_rows(), start=1):
            sheet.write_string(r, 0, route.route_id)
            sheet.write_string(r, 1, route.name)
            sheet.write_number(r, 2, route.published)
            sheet.write_number(r, 3, route.completed)
            sheet.write_number(r, 4, route.cancelled)
        sheet.set_column(0, 0, 38)
        sheet.set_column(1, 4, 14)

        sheet = workbook.add_worksheet("Totals")
        sheet.write_row(0, 0, ["Period", figures.period.label()], bold)
        total = figures.totals()
        routes = figures.route_rows()
        rows: list[tuple[str, float | int, object]] = [
            ("Tasks published", sum(r.published for r in routes), None),
            ("Tasks completed", total.completed, None),
            ("Completed on time", total.on_time, None),
            ("Tasks cancelled", sum(r.cancelled for r in routes), None),
            ("Distance (km)", float(total.distance_km), km_fmt),
            ("Active (h)", float(total.active_hours), hours_fmt),
            ("Receipts", total.receipts, None),
        ]
        rows += [(f"Bonus {c}", float(money(total.bonus[c])), money_fmt) for c in bonus]
        rows += [(f"Receipts total {c}", float(money(total.receipts_total[c])), money_fmt) for c in receipts]
        for r, (label, value, fmt) in enumerate(rows, start=1):
            sheet.write_string(r, 0, label)
            sheet.write_number(r, 1, value, fmt)
        sheet.set_column(0, 0, 22)
        sheet.set_column(1, 1, 40)
    finally:
        workbook.close()


# -- HTML ------------------------------------------------------------------------------
_STYLE = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei",sans-serif;
margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1d2733}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.meta{color:#5b6876}.cards{display:flex;flex-wrap:wrap;gap:.75rem}
.card{border:1px solid #d5dbe1;border-radius:6px;padding:.6rem .9rem;min-width:9rem}
.card b{display:block;font-size:1.3rem}
table{border-collapse:collapse;width:100%;margin-top:.5rem}
th,td{border-bottom:1px solid #e3e7eb;padding:.35rem .5rem;text-align:right}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
thead th{background:#f3f5f7}tfoot td{font-weight:600}
svg text{font-size:11px;fill:#1d2733}.bar{fill:#2f6fb0}.bar2{fill:#d98a2b}
@media print{.card{break-inside:avoid}}
"""


def _bar_chart(values: list[tuple[str, float]], *, title: str, css: str = "bar", unit: str = "") -> str:
    """A vertical bar chart as inline SVG (no script, no external reference)."""
    width, height, left, bottom, top = 720, 240, 40, 40, 20
    inner_w, inner_h = width - left - 10, height - bottom - top
    peak = max([v for _, v in values] + [0]) or 1
    step = inner_w / max(len(values), 1)
    bar_w = max(step * 0.7, 2)
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" '
             f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet">',
             f'<line x1="{left}" y1="{top + inner_h}" x2="{width - 10}" y2="{top + inner_h}" stroke="#9aa5b1"/>']
    for i, (label, value) in enumerate(values):
        h = inner_h * (value / peak)
        x = left + i * step + (step - bar_w) / 2
        y = top + inner_h - h
        shown = f"{value:g}{unit}"
        parts.append(f'<rect class="{css}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}">'
                     f"<title>{html.escape(label)}: {html.escape(shown)}</title></rect>")
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">{html.escape(shown)}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + inner_h + 14}" text-anchor="middle">'
                     f"{html.escape(label[:14])}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _cell(value: object) -> str:
    return f"<td>{html.escape(str(value))}</td>"


def write_html(figures: Figures, path: Path, generated_at: str) -> None:
    e = html.escape
    bonus, receipts = figures.currencies()
    total = figures.totals()
    routes = figures.route_rows()
    couriers = figures.courier_rows()
    cards = [("Tasks completed", total.completed), ("On time", total.on_time),
             ("Published", sum(r.published for r in routes)), ("Cancelled", sum(r.cancelled for r in routes)),
             ("Distance (km)", total.distance_km), ("Active (h)", total.active_hours), ("Receipts", total.receipts)]
    cards += [(f"Bonus {c}", money(total.bonus[c])) for c in bonus]
    cards += [(f"Receipts {c}", money(total.receipts_total[c])) for c in receipts]
    per_day = [(day.strftime("%a %d") if figures.period.kind == "week" else day.strftime("%d"), float(count))
               for day, count in sorted(figures.per_day.items())]
    out = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Legwork report - {e(figures.period.label())}</title>", f"<style>{_STYLE}</style></head><body>",
        f"<h1>Legwork report</h1><p class=\"meta\">{e(figures.period.label())}, UTC. Generated {e(generated_at)}.</p>",
        '<div class="cards">' + "".join(f'<div class="card">{e(label)}<b>{e(str(value))}</b></div>'
                                        for label, value in cards) + "</div>",
        "<h2>Completions per day</h2>", _bar_chart(per_day, title="Completions per day"),
    ]
    for currency in bonus:
        out += [f"<h2>Bonus per courier ({e(currency)})</h2>",
                _bar_chart([(r.name, float(money(r.bonus.get(currency, Decimal(0))))) for r in couriers],
                           title=f"Bonus per courier in {currency}", css="bar2")]
    head = (["Courier", "ID", "Completed", "On time", "Distance (km)", "Active (h)", "Receipts"]
            + [f"Bonus {c}" for c in bonus] + [f"Receipts {c}" for c in receipts])
    out.append("<h2>Couriers</h2><table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>")
    for row in couriers:
        out.append("<tr>" + "".join(_cell(v) for v in [row.name, row.courier_id, row.completed, row.on_time,
                                                         row.distance_km, row.active_hours, row.receipts,
                                                         *_money_cells(row, bonus, receipts)]) + "</tr>")
    out.append("</tbody><tfoot><tr>" + "".join(_cell(v) for v in ["Total", "", total.completed, total.on_time,
                                                                     total.distance_km, total.active_hours,
                                                                     total.receipts,
                                                                     *_money_cells(total, bonus, receipts)])
               + "</tr></tfoot></table>")
    out.append("<h2>Routes</h2><table><thead><tr><th>Route</th><th>ID</th><th>Published</th><th>Completed</th>"
               "<th>Cancelled</th></tr></thead><tbody>")
    for route in routes:
        out.append("<tr>" + "".join(_cell(v) for v in [route.name, route.route_id, route.published, route.completed,
                                                         route.cancelled]) + "</tr>")
    out.append("</tbody></table></body></html>")
    path.write_text("\n".join(out), encoding="utf-8")
