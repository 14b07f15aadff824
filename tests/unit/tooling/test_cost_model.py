"""The cost model's arithmetic, checked against sums done by hand."""
from __future__ import annotations

import pytest

from legwork.bench import cost

PRICES = {  # round prices so the expected figures can be checked on paper
    "test-1": {"currency": "USD", "symbol": "$", "prices": {
        "api_gateway_rest_request": {"per": 1_000_000, "price": 3.5},
        "lambda_request": {"per": 1_000_000, "price": 0.2},
        "lambda_gb_second_arm64": {"per": 1, "price": 0.00001},
        "sqs_request": {"per": 1_000_000, "price": 0.4},
        "dynamodb_write_request_unit": {"per": 1_000_000, "price": 0.625},
        "dynamodb_read_request_unit": {"per": 1_000_000, "price": 0.125},
    }},
}


def test_a_thousand_courier_hours_at_one_post_every_ten_seconds_is_360000_batches():
    fleet = cost.per_courier_hours(cost.Units(api_requests=1, write_units=2))

    assert (fleet.api_requests, fleet.write_units) == (360_000, 720_000)


def test_the_price_of_a_fleet_hour_matches_the_hand_computed_sum():
    per_batch = cost.Units(api_requests=1, lambda_invocations=1.1, lambda_gb_seconds=0.01, sqs_requests=1.2,
                           write_units=2, read_units=1.5)

    costs = cost.price(cost.per_courier_hours(per_batch), PRICES["test-1"])

    # 360,000 batches: 360,000 × $3.5/M; 396,000 × $0.2/M; 3,600 GB-s × $0.00001; 432,000 × $0.4/M;
    # 720,000 WRU × $0.625/M; 540,000 RRU × $0.125/M
    expected = {"api_requests": 1.26, "lambda_invocations": 0.0792, "lambda_gb_seconds": 0.036,
                "sqs_requests": 0.1728, "write_units": 0.45, "read_units": 0.0675}
    assert costs == pytest.approx({**expected, "total": 2.0655})


def test_measured_totals_become_units_per_batch():
    # 1,000 batches; the consumer ran 40 times for 2,000 ms in all at 512 MB and wrote 400 WRU,
    # read 50 RRU; the API function took 20.4 ms a call (billed 21 ms) at 256 MB.
    units = cost.units_per_batch(batches=1000, consumer_invocations=40, consumer_ms=2000, consumer_memory_mb=512,
                                 consumer_write_units=400, consumer_read_units=50, api_ms=20.4, api_memory_mb=256)

    assert units.lambda_invocations == pytest.approx(1.04)
    # API: 1,000 × 0.021 s × 0.25 GB = 5.25; consumer: 40 × 0.050 s × 0.5 GB = 1.0; per batch 0.00625
    assert units.lambda_gb_seconds == pytest.approx(0.00625)
    assert (units.write_units, units.read_units, units.sqs_requests) == (pytest.approx(0.4), pytest.approx(1.05), 1.2)


def test_without_the_api_function_only_the_consumer_runs():
    units = cost.units_per_batch(batches=100, consumer_invocations=10, consumer_ms=100, consumer_memory_mb=1024,
                                 consumer_write_units=0, consumer_read_units=0, api_ms=0, api_memory_mb=256,
                                 api_invocations=0, api_read_units=0)

    assert units.lambda_invocations == pytest.approx(0.1)
    assert units.lambda_gb_seconds == pytest.approx(10 * 0.010 * 1.0 / 100)


def test_the_price_file_covers_both_partitions_and_says_where_each_price_comes_from():
    regions = cost.load_prices()

    assert {regions["us-east-1"]["currency"], regions["cn-north-1"]["currency"]} == {"USD", "CNY"}
    for region in regions.values():
        assert set(cost.PRICE_OF.values()) <= set(region["prices"])
        for entry in region["prices"].values():
            assert entry["page"].startswith("https://") and entry["price"] > 0 and entry["confidence"]
