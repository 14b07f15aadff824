"""Reading the total off a receipt's recognised lines: keyword rules, money as a Decimal.

The rules, best first (a line of a better rule wins over any line of a worse one):

1. 价税合计 or 小写 (a Chinese VAT invoice: the total with tax, in figures);
2. 实收 / 实付 (what was actually paid);
3. grand total, nett/net total;
4. TOTAL (total due, total amount ...);
5. 合计 / 总计;
6. amount due, balance due, 应付 / 应收.

Lines that only look like a total are skipped: subtotal (小计), tax/GST/VAT lines, cash
tendered (现金), change (找零), rounding, item counts, savings and discounts. The amount is
the rightmost money on the keyword's line (or on the next line when the label stands
alone); thousands separators and decimal commas are read ("1.234,56", "20,44"). The
currency comes from a symbol or code on that line, else the one most seen on the
receipt, else the caller's default (the task's bonus currency).

    >>> total = extract_total([Line("GRAND TOTAL  RM 1,234.50", 0.98)], default_currency="EUR")
    >>> total.amount, total.currency, total.rule
    (Decimal('1234.50'), 'MYR', 'grand total')
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from legwork_common.currencies import MINOR_UNITS
from legwork_common.money import currency_digits


@dataclass(frozen=True)
class Line:
    """One recognised line of text, left to right, with the recogniser's confidence (0..1)."""

    text: str
    confidence: float


@dataclass(frozen=True)
class Total:
    amount: Decimal
    currency: str
    confidence: float
    rule: str  # which keyword rule found it
    line: str  # the line it was read from


# (rule name, pattern, how much a hit of this rule is trusted)
RULES: tuple[tuple[str, re.Pattern, float], ...] = (
    ("价税合计", re.compile(r"价税合计|價稅合計|小写|小寫"), 1.0),
    ("实收/实付", re.compile(r"实收|实付|實收|實付"), 1.0),
    ("grand total", re.compile(r"\bgrand\s*-?\s*total\b|\bnett?\s*-?\s*total\b|\btotal\s*nett?\b", re.I), 0.97),
    ("total", re.compile(r"(?<![a-z])(total|tota1|t0tal)(?![a-z])", re.I), 0.95),
    ("合计", re.compile(r"合计|合計|总计|總計|总额|總額"), 0.93),
    ("amount due", re.compile(r"\b(amount|balance)\s*(due|payable)\b|\bamt\s*due\b|应付|應付|应收|應收", re.I), 0.85),
)
# Lines that carry a keyword but not the amount paid.
SKIP = re.compile(
    r"sub\s*-?\s*total|小计|小計"
    r"|\btender|\bcash\b|现金|現金|\bchange\b|找零|找赎|找續"
    r"|\brounding|\bround\s*(off|adj)|抹零|舍入"
    r"|\bqty\b|\bquantity\b|\bitems?\b|\bpcs\b|件数|数量|數量"
    r"|\bsav(ing|ed)|\bdiscount|优惠|優惠|折扣"
    r"|\b(tax|gst|vat|sst|hst|pst)\b|service\s*charge|税额|税金|税率|稅額",
    re.I,
)
# "Total incl. GST", "合计(含税)": the tax word qualifies a total, it is not a tax line.
INCLUDED_TAX = re.compile(r"\b(incl(uding|usive|\.)?|inc\.?|w/)\s*(of\s*)?(gst|vat|tax|sst)\b|含税|含稅", re.I)

# A money token: thousands separators (, . ') and an optional decimal part (. or ,).
AMOUNT = re.compile(
    r"(?<![\d.,])(?P<int>\d{1,3}(?:(?P<sep>[,.'])\d{3})(?:(?P=sep)\d{3})*|\d+)"
    r"(?:(?P<dec>[.,])(?P<frac>\d{1,2}))?(?!\d|\s*%)"
)

# Currency markers, most specific first; matched on NFKC-normalised text.
SYMBOLS: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p, re.I if flags else 0), code) for p, code, flags in (
    (r"US\$", "USD", 0), (r"S\$", "SGD", 0), (r"A\$", "AUD", 0), (r"HK\$", "HKD", 0), (r"NT\$", "TWD", 0),
    (r"C\$", "CAD", 0), (r"NZ\$", "NZD", 0), (r"R\$", "BRL", 0), (r"MOP\$", "MOP", 0),
    (r"\bRMB\b|人民币|人民幣|元|圆|圓", "CNY", 0), (r"円", "JPY", 0), (r"¥", "CNY", 0),
    (r"\bRM(?=\s?\d|\b)", "MYR", 0), (r"€|\bEuro?s?\b", "EUR", 1), (r"£", "GBP", 0), (r"₹|\bRs\.?(?=\s?\d)", "INR", 0),
    (r"₩", "KRW", 0), (r"฿", "THB", 0), (r"₫", "VND", 0), (r"₱", "PHP", 0), (r"\bRp\.?(?=\s?\d)", "IDR", 0),
    (r"zł", "PLN", 0), (r"₺", "TRY", 0), (r"₽", "RUB", 0), (r"Kč", "CZK", 0),
))
DOLLAR = re.compile(r"\$")
# Codes that are also common receipt words (ALL, CUP, TOP, PEN ...) count only beside an amount.
CODE = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")
COMMON_CODES = {"USD", "EUR", "GBP", "CNY", "MYR", "SGD", "HKD", "JPY", "AUD", "CAD", "CHF", "NZD", "TWD",
                "THB", "IDR", "INR", "KRW", "PHP", "VND", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "AED"}


def normalise(text: str) -> str:
    """Full-width digits and signs to ASCII (NFKC), OCR's spaces inside amounts closed up."""
    text = unicodedata.normalize("NFKC", text)
    # "20. 44" or "20 .44": a recogniser's gap inside a decimal amount.
    return re.sub(r"(\d)\s*([.,])\s+(\d{2})(?!\d)", r"\1\2\3", text)


def parse_amount(token: re.Match) -> Decimal | None:
    """The Decimal of an `AMOUNT` match, or None when its separators contradict each other."""
    integer, sep, dec, frac = token.group("int"), token.group("sep"), token.group("dec"), token.group("frac")
    if sep and dec and sep == dec:
        return None
    digits = integer.replace(sep, "") if sep else integer
    try:
        value = Decimal(digits + (f".{frac}" if frac else ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        return None
    return value


def amounts_in(text: str) -> list[Decimal]:
    """Every positive money amount of a (normalised) line, left to right."""
    found = []
    for token in AMOUNT.finditer(text):
        value = parse_amount(token)
        if value is not None and value > 0:
            found.append(value)
    return found


def currencies_in(text: str) -> list[str]:
    """Currency codes a (normalised) line names by symbol or code."""
    found = [code for pattern, code in SYMBOLS if pattern.search(text)]
    if not found:
        for match in CODE.finditer(text):
            code = "CNY" if match.group(1) == "RMB" else match.group(1)
            if code in MINOR_UNITS and (code in COMMON_CODES or _beside_amount(text, match)):
                found.append(code)
    if not found and DOLLAR.search(text):
        found.append("$")
    return found


def _beside_amount(text: str, match: re.Match) -> bool:
    return bool(re.match(r"\s?\d", text[match.end():]) or re.search(r"\d\s?$", text[:match.start()]))


def rule_of(text: str) -> tuple[int, str, float] | None:
    """(rank, rule name, trust) of the best keyword rule a normalised line meets, or None."""
    for rank, (name, pattern, trust) in enumerate(RULES):
        if not pattern.search(text):
            continue
        if rank > 0 and SKIP.search(INCLUDED_TAX.sub(" ", text)):
            return None
        return rank, name, trust
    return None


def extract_total(lines: list[Line], *, default_currency: str | None = None) -> Total | None:
    """The total of a receipt from its lines (top to bottom), or None when no rule finds one."""
    texts = [normalise(line.text) for line in lines]
    best: tuple[int, int, int, Decimal, float, str] | None = None  # (rank, label, amount line, amount, trust, name)
    for index, text in enumerate(texts):
        rule = rule_of(text)
        if rule is None:
            continue
        rank, name, trust = rule
        amount_index, amounts = index, amounts_in(_after_keyword(text, rank))
        if not amounts and index + 1 < len(texts) and rule_of(texts[index + 1]) is None \
                and not SKIP.search(texts[index + 1]):
            amount_index, amounts = index + 1, amounts_in(texts[index + 1])  # the label stands alone
        if not amounts:
            continue
        # Ties go to the later line: "Total 18.58" then "Total incl. GST 20.44".
        if best is None or rank <= best[0]:
            best = (rank, index, amount_index, amounts[-1], trust, name)
    if best is None:
        return None
    rank, label, index, amount, trust, name = best
    currency = _currency(texts, index, default_currency)
    if currency is None:
        return None
    digits = currency_digits(currency)
    if -amount.as_tuple().exponent < digits:
        amount = amount.quantize(Decimal(1).scaleb(-digits))
    confidence = round(min(lines[label].confidence, lines[index].confidence) * trust, 3)
    shown = lines[label].text if label == index else f"{lines[label].text} {lines[index].text}"
    return Total(amount=amount, currency=currency, confidence=confidence, rule=name, line=shown)


def _after_keyword(text: str, rank: int) -> str:
    """The part of the line after its keyword: '合计 3 件 25.00' must not read the 3 before it."""
    match = RULES[rank][1].search(text)
    return text[match.start():] if match else text


def _currency(texts: list[str], index: int, default: str | None) -> str | None:
    on_line = currencies_in(texts[index])
    if on_line:
        return _dollar(on_line[0], default)
    seen = Counter(code for text in texts for code in currencies_in(text))
    if seen:
        return _dollar(seen.most_common(1)[0][0], default)
    return default


def _dollar(code: str, default: str | None) -> str:
    """A bare '$' is the default currency when that is a dollar, else US dollars."""
    if code != "$":
        return code
    dollars = {"USD", "AUD", "CAD", "NZD", "SGD", "HKD", "TWD", "MXN", "BND", "FJD", "JMD", "TTD", "BSD", "BBD", "BZD",
               "XCD", "LRD", "NAD", "SBD", "SRD", "GYD", "KYD", "BMD", "ZWG", "CLP", "COP", "ARS", "UYU", "DOP", "CUP"}
    return default if default in dollars else "USD"
