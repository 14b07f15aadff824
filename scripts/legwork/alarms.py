"""Alarms that reach someone, written by the merge for whatever the fragments declare.

Run by `legwork.merge` on the merged template when it declares the ops topic
(`OpsTopic`, in templates/resources.yaml). For every resource a fragment adds — today's
and those added later — it writes:

- per function: `<Fn>ErrorsAlarm` and `<Fn>ThrottlesAlarm`; for a function fed by a
  DynamoDB or Kinesis stream, `<Fn>IteratorAgeAlarm` (the consumer falling behind);
- per dead-letter queue (a queue named by a `RedrivePolicy`, a `DeadLetterQueue` or an
  `OnFailure` destination): `<Queue>DepthAlarm` (anything in it) and `<Queue>AgeAlarm`
  (the oldest message is getting close to its retention), unless a fragment already
  alarms on that metric of that queue;
- `AlarmActions` and `OKActions` (the ops topic) on every `AWS::CloudWatch::Alarm` that
  has none, the fragments' own alarms included;
- `OpsDashboard`, a CloudWatch dashboard of these metrics and the API's, and its URL as
  the `DashboardUrl` output.

    >>> add_operations(template)   # the merged round-trip template, in place
    >>> template["Resources"]["LoginFunctionErrorsAlarm"]["Properties"]["MetricName"]
    'Errors'
"""
from __future__ import annotations

import json
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.tag import Tag

from legwork.yamlcfn import to_plain

OPS_TOPIC = "OpsTopic"
DASHBOARD = "OpsDashboard"
DASHBOARD_OUTPUT = "DashboardUrl"  # generated: a fragment's output of this name is refused (legwork.merge)
API_NAME = "legwork-${Stage}"  # the Api resource's Name: the API Gateway metrics' ApiName
FUNCTION = "AWS::Serverless::Function"
STREAM_EVENTS = ("DynamoDB", "Kinesis")
ITERATOR_AGE_SECONDS = 300  # a stream consumer more than 5 minutes behind
DLQ_AGE_FRACTION = 0.5      # alarm when the oldest failed message has used half its retention
DEFAULT_RETENTION = 345600  # SQS's default: 4 days


def _tag(tag: str, value: str) -> TaggedScalar:
    return TaggedScalar(value=value, style=None, tag=tag)


def _alarm(description: str, namespace: str, metric: str, dimensions: list[tuple[str, Any]], *,
           statistic: str = "Sum", period: int = 300, evaluations: int = 1, threshold: float = 0) -> CommentedMap:
    props = CommentedMap([
        ("AlarmDescription", _tag("!Sub", description)),
        ("Namespace", namespace),
        ("MetricName", metric),
        ("Dimensions", CommentedSeq(CommentedMap([("Name", n), ("Value", v)]) for n, v in dimensions)),
    ])
    if statistic.startswith("p"):
        props["ExtendedStatistic"] = statistic
    else:
        props["Statistic"] = statistic
    props.update([
        ("Period", period), ("EvaluationPeriods", evaluations), ("Threshold", threshold),
        ("ComparisonOperator", "GreaterThanThreshold"), ("TreatMissingData", "notBreaching"),
    ])
    return CommentedMap([("Type", "AWS::CloudWatch::Alarm"), ("Properties", props)])


def _getatt_target(value: Any) -> str | None:
    plain = to_plain(value)
    if isinstance(plain, dict) and "Fn::GetAtt" in plain:
        target = plain["Fn::GetAtt"]
        return str(target[0] if isinstance(target, list) else str(target).split(".")[0])
    return None


def dead_letter_queues(resources: dict) -> list[str]:
    """Queues that receive what failed: named by a RedrivePolicy, a function's
    DeadLetterQueue or an event's OnFailure destination, in template order."""
    found: list[str] = []

    def walk(node: Any, key: Any = None, parent_key: Any = None) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k, key)
        elif isinstance(node, list):
            for item in node:
                walk(item, key, parent_key)
        if (key == "deadLetterTargetArn" or (key == "TargetArn" and parent_key == "DeadLetterQueue")
                or (key == "Destination" and parent_key == "OnFailure")):
            target = _getatt_target(node)
            if target in resources and resources[target].get("Type") == "AWS::SQS::Queue" and target not in found:
                found.append(target)

    for resource in resources.values():
        walk(resource.get("Properties") or {})
    order = list(resources)
    return sorted(found, key=order.index)


def _existing_alarms(resources: dict) -> set[tuple[str, str]]:
    """(metric, dimension target) of the alarms the fragments wrote themselves."""
    pairs = set()
    for resource in resources.values():
        if resource.get("Type") != "AWS::CloudWatch::Alarm":
            continue
        props = to_plain(resource.get("Properties") or {})
        for dimension in props.get("Dimensions") or []:
            value = dimension.get("Value")
            target = None
            if isinstance(value, dict):
                target = value.get("Ref") or (value.get("Fn::GetAtt") or [None])[0]
            if target:
                pairs.add((str(props.get("MetricName")), str(target)))
    return pairs


def add_operations(template: CommentedMap) -> None:
    """Write the alarms, their actions and the dashboard into `template` (in place)."""
    resources = template.get("Resources") or {}
    if OPS_TOPIC not in resources:
        return
    existing = _existing_alarms(resources)
    generated: dict[str, CommentedMap] = {}
    functions = [n for n, r in resources.items() if r.get("Type") == FUNCTION]
    consumers = []
    for name in functions:
        def ref() -> list[tuple[str, Any]]:  # a new node for each alarm (shared ones dump as YAML anchors)
            return [("FunctionName", _tag("!Ref", name))]

        generated[f"{name}ErrorsAlarm"] = _alarm(
            f"Legwork ${{Stage}}: {name} failed (an unhandled error: a 5xx or a failed event). "
            f"Its logs: make logs FN={name} STAGE=${{Stage}}", "AWS/Lambda", "Errors", ref())
        generated[f"{name}ThrottlesAlarm"] = _alarm(
            f"Legwork ${{Stage}}: {name} was throttled (account or reserved concurrency reached); "
            "requests got 429/502 or events were delayed.", "AWS/Lambda", "Throttles", ref())
        events = ((resources[name].get("Properties") or {}).get("Events")) or {}
        if any(str(e.get("Type")) in STREAM_EVENTS for e in events.values()):
            consumers.append(name)
            generated[f"{name}IteratorAgeAlarm"] = _alarm(
                f"Legwork ${{Stage}}: {name} is more than {ITERATOR_AGE_SECONDS // 60} minutes behind its stream; "
                "changes reach it late (and expire after MaximumRecordAgeInSeconds).",
                "AWS/Lambda", "IteratorAge", ref(), statistic="Maximum", period=60, evaluations=5,
                threshold=ITERATOR_AGE_SECONDS * 1000)
    queues = dead_letter_queues(resources)
    for queue in queues:
        def dims() -> list[tuple[str, Any]]:
            return [("QueueName", _tag("!GetAtt", f"{queue}.QueueName"))]

        if ("ApproximateNumberOfMessagesVisible", queue) not in existing:
            generated[f"{queue}DepthAlarm"] = _alarm(
                f"Legwork ${{Stage}}: messages wait in the dead-letter queue {queue}: events failed after every "
                "retry. Inspect them, fix the cause, redrive them.", "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                dims(), statistic="Maximum", period=300)
        raw = to_plain((resources[queue].get("Properties") or {}).get("MessageRetentionPeriod"))
        retention = int(raw) if str(raw).isdigit() else DEFAULT_RETENTION
        if ("ApproximateAgeOfOldestMessage", queue) not in existing:
            generated[f"{queue}AgeAlarm"] = _alarm(
                f"Legwork ${{Stage}}: the oldest message in the dead-letter queue {queue} is {int(retention * DLQ_AGE_FRACTION) // 3600} "
                "hours old and will be deleted when its retention ends; redrive or archive it now.",
                "AWS/SQS", "ApproximateAgeOfOldestMessage", dims(), statistic="Maximum", period=300,
                threshold=int(retention * DLQ_AGE_FRACTION))
    for name, alarm in generated.items():
        if name not in resources:
            resources[name] = alarm
    for resource in resources.values():
        if resource.get("Type") != "AWS::CloudWatch::Alarm":
            continue
        props = resource.setdefault("Properties", CommentedMap())
        for key in ("AlarmActions", "OKActions"):
            if not props.get(key):
                props[key] = CommentedSeq([_tag("!Ref", OPS_TOPIC)])
    if DASHBOARD not in resources:
        resources[DASHBOARD] = _dashboard(functions, consumers, queues)
        outputs = template.setdefault("Outputs", CommentedMap())
        if DASHBOARD_OUTPUT not in outputs:
            # The console's host is not the URL suffix's (console.amazonaws.cn in China).
            host = _tagged_seq("!If", ["IsChina", "console.amazonaws.cn", "console.aws.amazon.com"])
            url = "https://${ConsoleHost}/cloudwatch/home?region=${AWS::Region}#dashboards:name=${" + DASHBOARD + "}"
            outputs[DASHBOARD_OUTPUT] = CommentedMap([
                ("Description", "The stage's CloudWatch dashboard (functions, API, dead-letter queues, streams)."),
                ("Value", _tagged_seq("!Sub", [url, CommentedMap([("ConsoleHost", host)])])),
            ])


def _tagged_seq(tag: str, items: list) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.yaml_set_ctag(Tag(suffix=tag))
    return seq


def _dashboard(functions: list[str], consumers: list[str], queues: list[str]) -> CommentedMap:
    """The dashboard's body: a JSON document with `${...}` references, in a !Sub."""
    def widget(title: str, metrics: list, stat: str, y: int, x: int) -> dict:
        return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6,
                "properties": {"title": title, "region": "${AWS::Region}", "stat": stat, "period": 300,
                               "view": "timeSeries", "stacked": False, "metrics": metrics}}

    lam = [["AWS/Lambda", "{m}", "FunctionName", "${" + f + "}"] for f in functions]
    api = ["AWS/ApiGateway", "{m}", "ApiName", API_NAME, "Stage", "${Stage}"]
    widgets = [
        widget("Function errors", [[c.replace("{m}", "Errors") for c in row] for row in lam], "Sum", 0, 0),
        widget("Function throttles", [[c.replace("{m}", "Throttles") for c in row] for row in lam], "Sum", 0, 12),
        widget("API 5xx and 4xx", [[c.replace("{m}", "5XXError") for c in api],
                                   [c.replace("{m}", "4XXError") for c in api]], "Sum", 6, 0),
        widget("API latency p99 (ms)", [[c.replace("{m}", "Latency") for c in api],
                                        [c.replace("{m}", "IntegrationLatency") for c in api]], "p99", 6, 12),
        widget("Function duration p99 (ms)", [[c.replace("{m}", "Duration") for c in row] for row in lam], "p99", 12, 0),
    ]
    if queues:
        depth = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${" + q + ".QueueName}"] for q in queues]
        age = [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "${" + q + ".QueueName}"] for q in queues]
        widgets.append(widget("Dead-letter queues: messages", depth, "Maximum", 12, 12))
        widgets.append(widget("Dead-letter queues: age of oldest (s)", age, "Maximum", 18, 0))
    if consumers:
        widgets.append(widget("Stream consumers: iterator age (ms)",
                              [["AWS/Lambda", "IteratorAge", "FunctionName", "${" + f + "}"] for f in consumers],
                              "Maximum", 18, 12))
    body = json.dumps({"widgets": widgets}, separators=(",", ":"))
    return CommentedMap([
        ("Type", "AWS::CloudWatch::Dashboard"),
        ("Properties", CommentedMap([
            ("DashboardName", _tag("!Sub", "legwork-${Stage}")),
            ("DashboardBody", _tag("!Sub", body)),
        ])),
    ])
