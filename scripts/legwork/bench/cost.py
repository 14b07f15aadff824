"""What GPS tracking costs: billed units measured by `make bench-ingest`, priced per courier-hour.

AWS bills units, not calls: API Gateway and Lambda bill requests, Lambda also GB-seconds
(memory × billed duration), SQS bills requests (per 64 KB chunk), DynamoDB on-demand one
write request unit per KB written per item (and per index the item is written to) and one
read request unit per 4 KB read strongly (half that eventually consistent). The prices sit
in `prices.json` beside this file, with the date and page each comes from.

    >>> per_batch = Units(api_requests=1, lambda_invocations=1.1, lambda_gb_seconds=0.01,
    ...                   sqs_requests=1.2, write_units=2, read_units=1.5)
    >>> fleet = per_courier_hours(per_batch)             # 1,000 courier-hours, a post every 10 s
    >>> round(price(fleet, load_prices()["us-east-1"])["total"], 4)
    2.0775
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

PRICES = Path(__file__).with_name("prices.json")
POST_INTERVAL_S = 10.0  # a phone posts a batch about every 10 seconds
# Lambda's SQS poller receives up to 10 messages per ReceiveMessage and deletes them with
# DeleteMessageBatch (10 a call): per message, one SendMessage + 1/10 receive + 1/10 delete.
SQS_REQUESTS_PER_MESSAGE = 1.2
# Which price each unit is billed at (keys of prices.json).
PRICE_OF = {
    "api_requests": "api_gateway_rest_request",
    "lambda_invocations": "lambda_request",
    "lambda_gb_seconds": "lambda_gb_second_arm64",
    "sqs_requests": "sqs_request",
    "write_units": "dynamodb_write_request_unit",
    "read_units": "dynamodb_read_request_unit",
}


@dataclass(frozen=True)
class Units:
    """Billed units for one piece of work (a posted batch, 1,000 points, a fleet-hour …)."""

    api_requests: float = 0.0
    lambda_invocations: float = 0.0
    lambda_gb_seconds: float = 0.0
    sqs_requests: float = 0.0
    write_units: float = 0.0
    read_units: float = 0.0

    def scaled(self, factor: float) -> "Units":
        return Units(**{f.name: getattr(self, f.name) * factor for f in fields(self)})

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def load_prices(path: Path = PRICES) -> dict[str, dict]:
    """Region → {"currency", "symbol", "prices": {name: {"per", "price", "page", …}}}."""
    return json.loads(path.read_text(encoding="utf-8"))["regions"]


def price(units: Units, region: dict) -> dict[str, float]:
    """The cost of `units` at a region's prices: one entry per unit kind, and "total"."""
    costs: dict[str, float] = {}
    for name, key in PRICE_OF.items():
        entry = region["prices"][key]
        costs[name] = getattr(units, name) * entry["price"] / entry["per"]
    costs["total"] = sum(costs.values())
    return costs


def per_courier_hours(per_batch: Units, courier_hours: float = 1000.0,
                      post_interval_s: float = POST_INTERVAL_S) -> Units:
    """The units of `courier_hours` of tracking, each courier posting a batch every `post_interval_s`."""
    return per_batch.scaled(courier_hours * 3600.0 / post_interval_s)


def units_per_batch(*, batches: int, consumer_invocations: int, consumer_ms: float, consumer_memory_mb: int,
                    consumer_write_units: float, consumer_read_units: float, api_ms: float, api_memory_mb: int,
                    api_read_units: float = 1.0, api_invocations: float = 1.0) -> Units:
    """Measured totals of a run, as units per posted batch.

    `api_read_units` is what `POST /tasks/{id}/positions` reads per batch (one strongly
    consistent GetItem of the task, under 4 KB: 1 RRU); set `api_invocations=0` for a
    design where API Gateway sends to SQS itself.
    """
    if batches <= 0:
        raise ValueError("no batches measured")
    gb_s = (api_invocations * batches * _billed_ms(api_ms) / 1000 * api_memory_mb / 1024
            + consumer_invocations * _billed_ms(consumer_ms / max(consumer_invocations, 1)) / 1000
            * consumer_memory_mb / 1024)
    return Units(
        api_requests=1.0,
        lambda_invocations=api_invocations + consumer_invocations / batches,
        lambda_gb_seconds=gb_s / batches,
        sqs_requests=SQS_REQUESTS_PER_MESSAGE,
        write_units=consumer_write_units / batches,
        read_units=api_read_units + consumer_read_units / batches,
    )


def _billed_ms(ms: float) -> float:
    # Lambda bills duration rounded up to the next millisecond.
    return float(int(ms) + (0 if ms == int(ms) else 1))


def report(per_batch: Units, points_per_batch: float, *, prices: dict[str, dict] | None = None,
           courier_hours: float = 1000.0, post_interval_s: float = POST_INTERVAL_S) -> list[str]:
    """Lines for the bench: units per 1,000 points, and the cost of 1,000 courier-hours per region."""
    prices = prices or load_prices()
    per_k_points = per_batch.scaled(1000.0 / points_per_batch)
    lines = ["    per 1,000 points: " + ", ".join(
        f"{value:,.1f} {label}" for label, value in (
            ("WRU", per_k_points.write_units), ("RRU", per_k_points.read_units),
            ("SQS requests", per_k_points.sqs_requests), ("API requests", per_k_points.api_requests),
            ("Lambda invocations", per_k_points.lambda_invocations),
        )) + f", {per_k_points.lambda_gb_seconds:.2f} Lambda GB-s"]
    fleet = per_courier_hours(per_batch, courier_hours, post_interval_s)
    lines.append(f"    cost of {courier_hours:,.0f} courier-hours (a batch of {points_per_batch:g} points "
                 f"every {post_interval_s:g} s), at list prices:")
    for name, region in prices.items():
        costs = price(fleet, region)
        symbol = region["symbol"]
        parts = ", ".join(f"{label} {symbol}{costs[key]:,.2f}" for key, label in (
            ("api_requests", "API Gateway"), ("lambda_invocations", "Lambda requests"),
            ("lambda_gb_seconds", "Lambda GB-s"), ("sqs_requests", "SQS"),
            ("write_units", "DynamoDB writes"), ("read_units", "DynamoDB reads")))
        lines.append(f"      {name} ({region['currency']}): {symbol}{costs['total']:,.2f} = {parts}")
    return lines
