"""Alarms that reach someone: every alarm of the merged template notifies the ops topic,
and the merge writes the per-function, per-DLQ and per-consumer alarms and the dashboard
for whatever the fragments declare, resources added later included."""
from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from legwork.alarms import dead_letter_queues
from legwork.lint import translate
from legwork.merge import merge
from legwork.yamlcfn import loads

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "merge" / "basic"
OPS = {"Ref": "OpsTopic"}


@pytest.fixture(scope="module")
def project() -> dict:
    return loads(merge(ROOT).template_text())


def _alarms(template: dict) -> dict[str, dict]:
    return {n: r for n, r in template["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def _check_every_alarm_notifies(template: dict) -> None:
    alarms = _alarms(template)
    assert alarms
    for name, alarm in alarms.items():
        props = alarm["Properties"]
        assert OPS in props.get("AlarmActions", []), f"{name} has no AlarmActions to the ops topic"
        assert OPS in props.get("OKActions", []), f"{name} has no OKActions to the ops topic"


def test_every_alarm_of_the_merged_template_notifies_the_ops_topic(project: dict) -> None:
    _check_every_alarm_notifies(project)
    topic = project["Resources"]["OpsTopic"]
    assert topic["Type"] == "AWS::SNS::Topic"
    assert topic["Properties"]["TopicName"] == {"Fn::Sub": "legwork-${Stage}-ops"}


@pytest.mark.parametrize("region", ["us-east-1", "cn-north-1"])
def test_alarms_keep_their_actions_through_the_sam_translation(project: dict, region: str) -> None:
    _check_every_alarm_notifies(translate(project, region=region))


def test_every_function_has_errors_and_throttles_alarms(project: dict) -> None:
    alarms = _alarms(project)
    functions = [n for n, r in project["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]
    assert len(functions) >= 20
    for function in functions:
        for metric in ("Errors", "Throttles"):
            props = alarms[f"{function}{metric}Alarm"]["Properties"]
            assert props["MetricName"] == metric and props["Namespace"] == "AWS/Lambda"
            assert props["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]


def test_dead_letter_queues_have_depth_and_age_alarms(project: dict) -> None:
    queues = dead_letter_queues(project["Resources"])
    assert {"PositionsDLQ", "NotificationsFailureQueue"} <= set(queues)
    assert "PositionsQueue" not in queues  # the main queue is not a DLQ
    alarms = _alarms(project)
    for queue in queues:
        metrics = {a["Properties"]["MetricName"] for a in alarms.values()
                   if {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}} in a["Properties"]["Dimensions"]}
        assert {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"} <= metrics, queue
    # The fragments' own depth alarms stand; the merge does not write a twin.
    assert "PositionsDLQAlarm" in alarms and "PositionsDLQDepthAlarm" not in alarms
    age = alarms["PositionsDLQAgeAlarm"]["Properties"]
    assert age["Threshold"] == 1209600 // 2  # half the queue's 14-day retention


def test_stream_consumers_have_an_iterator_age_alarm_and_the_api_its_5xx_and_p99(project: dict) -> None:
    alarms = _alarms(project)
    iterator = alarms["NotifyTaskChangeFunctionIteratorAgeAlarm"]["Properties"]
    assert iterator["MetricName"] == "IteratorAge" and iterator["Statistic"] == "Maximum"
    assert "PositionsConsumerFunctionIteratorAgeAlarm" not in alarms  # SQS, not a stream
    assert alarms["Api5xxAlarm"]["Properties"]["MetricName"] == "5XXError"
    latency = alarms["ApiLatencyP99Alarm"]["Properties"]
    assert latency["MetricName"] == "Latency" and latency["ExtendedStatistic"] == "p99"
    dims = {d["Name"]: d["Value"] for d in latency["Dimensions"]}
    assert dims["ApiName"] == {"Fn::Sub": "legwork-${Stage}"}  # the Api resource's Name
    assert project["Resources"]["Api"]["Properties"]["Name"] == {"Fn::Sub": "legwork-${Stage}"}


def test_the_dashboard_shows_every_function_queue_and_the_api(project: dict) -> None:
    dashboard = project["Resources"]["OpsDashboard"]
    assert dashboard["Type"] == "AWS::CloudWatch::Dashboard"
    body = json.loads(dashboard["Properties"]["DashboardBody"]["Fn::Sub"])
    text = json.dumps(body)
    for name, resource in project["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            assert "${" + name + "}" in text
    assert "${PositionsDLQ.QueueName}" in text and "5XXError" in text and "IteratorAge" in text
    url = project["Outputs"]["DashboardUrl"]["Value"]["Fn::Sub"]
    assert url[1]["ConsoleHost"] == {"Fn::If": ["IsChina", "console.amazonaws.cn", "console.aws.amazon.com"]}


def test_the_email_subscription_exists_only_when_an_address_is_given(project: dict) -> None:
    subscription = project["Resources"]["OpsEmailSubscription"]
    assert subscription["Condition"] == "HasOpsEmail"
    assert project["Parameters"]["OpsEmail"]["Default"] == ""
    assert project["Conditions"]["HasOpsEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "OpsEmail"}, ""]}]}


def _put(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def test_a_resource_added_later_gets_its_alarms_and_its_own_alarm_gets_actions(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    resources = root / "templates" / "resources.yaml"
    resources.write_text(resources.read_text() + "\nOpsTopic:\n  Type: AWS::SNS::Topic\n", encoding="utf-8")
    _put(root, "src/receipts/template.yaml", """
        Resources:
          ReceiptsDLQ:
            Type: AWS::SQS::Queue
          OcrFunction:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: .
              Handler: receipts.handlers.ocr
              DeadLetterQueue:
                Type: SQS
                TargetArn: !GetAtt ReceiptsDLQ.Arn
          OcrSlowAlarm:
            Type: AWS::CloudWatch::Alarm
            Properties:
              Namespace: AWS/Lambda
              MetricName: Duration
              Dimensions:
                - Name: FunctionName
                  Value: !Ref OcrFunction
              Statistic: Maximum
              Period: 60
              EvaluationPeriods: 1
              Threshold: 20000
              ComparisonOperator: GreaterThanThreshold
        """)
    template = loads(merge(root).template_text())
    _check_every_alarm_notifies(template)
    alarms = _alarms(template)
    assert {"OcrFunctionErrorsAlarm", "OcrFunctionThrottlesAlarm", "HelloFunctionErrorsAlarm",
            "ReceiptsDLQDepthAlarm", "ReceiptsDLQAgeAlarm", "OcrSlowAlarm"} <= set(alarms)
    assert alarms["ReceiptsDLQAgeAlarm"]["Properties"]["Threshold"] == 345600 // 2  # SQS's default retention


def test_without_an_ops_topic_the_merge_writes_no_alarms(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    template = loads(merge(root).template_text())
    assert _alarms(template) == {} and "OpsDashboard" not in template["Resources"]
