"""How `make dev` shows a function's log records: one readable line each, or JSON as written."""
from __future__ import annotations

import io
import json
import logging
import sys
import uuid

import pytest
from aws_lambda_powertools import Logger

from legwork.local import logs
from legwork.local.cli import parse


class FakeContext:
    function_name = "legwork-dev-ClaimTaskFunction"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:legwork-dev-ClaimTaskFunction"
    memory_limit_in_mb = 256
    aws_request_id = "req-0001"

    def get_remaining_time_in_millis(self) -> int:
        return 3000


def powertools_lines(body) -> list[str]:
    """What the application's Powertools Logger writes (one JSON document per record)."""
    buffer = io.StringIO()
    # A service name of its own each time: Powertools configures one stdlib logger per name once.
    logger = Logger(service=f"legwork-{uuid.uuid4().hex[:8]}", logger_handler=logging.StreamHandler(buffer),
                    level="DEBUG")

    @logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
    def handler(event, context):
        body(logger)

    handler({"requestContext": {"requestId": "corr-42"}}, FakeContext())
    return buffer.getvalue().splitlines()


def test_a_record_is_one_line_of_level_message_and_its_own_keys():
    [line] = powertools_lines(lambda log: log.info("task claimed", extra={"taskId": "t-1", "courierId": "u-7"}))
    assert len(line) > 300  # what `make dev` printed before: the whole document
    logs.remember_request("req-0001", "POST /tasks/t-1/claim")
    assert logs.human(line) == "INFO  task claimed  taskId=t-1 courierId=u-7  [POST /tasks/t-1/claim]"


def test_without_a_known_request_the_correlation_id_says_which():
    def body(log):
        log.append_keys(function_request_id="unknown-request")
        log.debug("cache miss")

    [line] = powertools_lines(body)
    assert logs.human(line) == "DEBUG cache miss  [correlation_id=corr-42]"


def test_an_exception_shows_where_and_its_traceback():
    def body(log):
        try:
            {}["missing"]
        except KeyError:
            log.exception("lookup failed", extra={"taskId": "t-9"})

    [line] = powertools_lines(body)
    rendered = logs.human(line).splitlines()
    assert rendered[0].startswith("ERROR lookup failed  taskId=t-9  [")
    assert rendered[0].endswith(")") and "(body:" in rendered[0]  # function:line of the call
    assert rendered[1] == "    Traceback (most recent call last):"
    assert rendered[-1] == "    KeyError: 'missing'"


def test_values_with_spaces_and_structures_stay_unambiguous():
    record = {"level": "WARNING", "message": {"why": "dict message"}, "reason": "two words", "n": 3,
              "ids": ["a", "b"], "empty": "", "service": "legwork", "location": "f:1"}
    assert logs.human(json.dumps(record)) == (
        'WARNING {"why":"dict message"}  reason="two words" n=3 ids=["a","b"] empty=""  (f:1)')


@pytest.mark.parametrize("line", [
    "plain print output",
    '{"not": "a log record"}',
    "[1, 2, 3]",
    '{"level": "INFO", "message": "cut short',
    "",
])
def test_anything_else_is_printed_as_written(line):
    assert logs.human(line) == line


def test_json_format_prints_the_document_as_written():
    [line] = powertools_lines(lambda log: log.info("task claimed", extra={"taskId": "t-1"}))
    stream = io.StringIO()
    logs.set_stream(stream)
    try:
        logs.set_format("json")
        logs.log_function("ClaimTaskFunction", line)
        logs.set_format("human")
        logs.log_function("ClaimTaskFunction", line)
    finally:
        logs.set_stream(sys.stderr)
        logs.set_format("human")
    as_written, readable = stream.getvalue().splitlines()
    assert as_written.split(" | ", 1)[1] == line
    assert as_written.split()[1] == readable.split()[1] == "ClaimTaskFunction"
    assert readable.split(" | ", 1)[1].startswith("INFO  task claimed  taskId=t-1")


def test_log_format_comes_from_the_environment_or_the_flag(tmp_path, monkeypatch):
    template = tmp_path / "template.yaml"
    template.write_text("Resources: {}\n")
    try:
        monkeypatch.setenv("LOG_FORMAT", "json")
        parse(["--template", str(template)])
        assert logs.get_format() == "json"
        parse(["--template", str(template), "--log-format", "human"])
        assert logs.get_format() == "human"
        monkeypatch.delenv("LOG_FORMAT")
        parse(["--template", str(template)])
        assert logs.get_format() == "human"
        monkeypatch.setenv("LOG_FORMAT", "yaml")
        with pytest.raises(SystemExit):
            parse(["--template", str(template)])
    finally:
        logs.set_format("human")
