"""Event sources as the template declares them: S3, SQS with a DLQ, filtered DynamoDB streams, schedules."""
from __future__ import annotations

import json
import urllib.request
import uuid

from legwork.local import invoke as invoke_cli
from localrt import bearer, eventually


def _item(aws, runtime, item_id: str) -> dict | None:
    return aws("dynamodb").get_item(
        TableName=runtime.stack.name("ItemsTable"), Key={"itemId": {"S": item_id}}, ConsistentRead=True
    ).get("Item")


def _multipart(fields: dict, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: text/plain\r\n\r\n".encode() + content + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_presigned_post_upload_triggers_the_subscribed_function(api, aws, runtime):
    status, _, post = api.request("POST", "/uploads", {"name": "my report.txt"}, bearer("admin"))
    assert status == 200
    body, content_type = _multipart(post["fields"], "my report.txt", b"hello")
    request = urllib.request.Request(post["url"], data=body, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201, 204)
    item = eventually(lambda: _item(aws, runtime, "upload:incoming/my report.txt"))
    assert item["bucket"]["S"] == runtime.stack.name("UploadsBucket")
    assert item["event"]["S"].startswith("ObjectCreated:")


def test_objects_outside_the_filter_do_not_trigger(api, aws, runtime):
    s3 = aws("s3")
    bucket = runtime.stack.name("UploadsBucket")
    s3.put_object(Bucket=bucket, Key="elsewhere/x.txt", Body=b"1")
    s3.put_object(Bucket=bucket, Key="incoming/after.txt", Body=b"2")
    eventually(lambda: _item(aws, runtime, "upload:incoming/after.txt"))
    assert _item(aws, runtime, "upload:elsewhere/x.txt") is None


def test_two_functions_on_one_bucket_each_get_their_own_prefix(aws, runtime):
    s3 = aws("s3")
    bucket = runtime.stack.name("UploadsBucket")
    s3.put_object(Bucket=bucket, Key="archive/a b.txt", Body=b"1")
    s3.put_object(Bucket=bucket, Key="incoming/c.txt", Body=b"2")
    archived = eventually(lambda: _item(aws, runtime, "upload:archive/a b.txt"))
    assert archived["bucket"]["S"] == bucket
    eventually(lambda: _item(aws, runtime, "upload:incoming/c.txt"))


def test_sqs_batch_with_a_poisoned_message_retries_only_it_and_lands_it_in_the_dlq(aws, runtime):
    sqs = aws("sqs")
    queue, dlq = runtime.stack.name("JobsQueue"), runtime.stack.name("JobsDLQ")
    sqs.send_message_batch(QueueUrl=queue, Entries=[
        {"Id": "1", "MessageBody": json.dumps({"id": "good-1"})},
        {"Id": "2", "MessageBody": json.dumps({"id": "bad-1", "poison": True})},
        {"Id": "3", "MessageBody": json.dumps({"id": "good-2"})},
    ])

    def in_dlq():
        return sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages")

    dead = eventually(in_dlq, timeout=20)
    assert [json.loads(m["Body"])["id"] for m in dead] == ["bad-1"]
    for good in ("good-1", "good-2"):
        assert _item(aws, runtime, f"job:{good}")["received"]["S"] == "1"  # delivered once, deleted
    retry = _item(aws, runtime, "poison:bad-1:2")
    assert retry is not None and retry["batch"]["N"] == "1"  # the retry carried only the failed message


def test_stream_change_matching_the_filter_reaches_the_consumer_and_others_do_not(api, aws, runtime):
    admin = bearer("admin")
    assert api.request("POST", "/items", {"itemId": "s-plain", "kind": "plain"}, admin)[0] == 201
    assert api.request("POST", "/items", {"itemId": "s-important", "kind": "important"}, admin)[0] == 201
    seen = eventually(lambda: _item(aws, runtime, "seen-s-important"))
    assert seen["eventName"]["S"] == "INSERT"
    assert seen["source"]["S"] == runtime.stack.attr("ItemsTable", "StreamArn")
    # Records are delivered in order: the earlier, non-matching insert was already skipped.
    assert _item(aws, runtime, "seen-s-plain") is None


def test_modify_does_not_match_an_insert_filter(api, aws, runtime):
    table = runtime.stack.name("ItemsTable")
    ddb = aws("dynamodb")
    ddb.put_item(TableName=table, Item={"itemId": {"S": "m-1"}, "kind": {"S": "plain"}})
    ddb.put_item(TableName=table, Item={"itemId": {"S": "m-1"}, "kind": {"S": "important"}})  # MODIFY
    ddb.put_item(TableName=table, Item={"itemId": {"S": "m-2"}, "kind": {"S": "important"}})  # INSERT
    eventually(lambda: _item(aws, runtime, "seen-m-2"))
    assert _item(aws, runtime, "seen-m-1") is None


def test_failing_stream_batch_goes_to_the_on_failure_destination(aws, runtime):
    table = runtime.stack.name("ItemsTable")
    aws("dynamodb").put_item(TableName=table, Item={
        "itemId": {"S": "f-1"}, "kind": {"S": "important"}, "note": {"S": "fail"},
    })
    sqs = aws("sqs")
    url = runtime.stack.name("StreamFailuresQueue")
    messages = eventually(lambda: sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"), timeout=20)
    document = json.loads(messages[0]["Body"])
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert document["requestContext"]["approximateInvokeCount"] == 2  # first try + MaximumRetryAttempts 1
    assert document["DDBStreamBatchInfo"]["streamArn"] == runtime.stack.attr("ItemsTable", "StreamArn")
    assert document["DDBStreamBatchInfo"]["batchSize"] == 1


def test_sns_notification_matching_the_filter_policy_reaches_the_function(aws, runtime):
    sns = aws("sns")
    topic = runtime.stack.name("AlertsTopic")
    sns.publish(TopicArn=topic, Message="quiet", MessageAttributes={
        "severity": {"DataType": "String", "StringValue": "low"}})
    sns.publish(TopicArn=topic, Message="loud", Subject="Disk", MessageAttributes={
        "severity": {"DataType": "String", "StringValue": "high"}})
    item = eventually(lambda: _item(aws, runtime, "alert:loud"))
    assert item["subject"]["S"] == "Disk" and item["source"]["S"] == "aws:sns"
    assert _item(aws, runtime, "alert:quiet") is None


def test_schedule_fires_on_demand_with_its_input(api, aws, runtime):
    status, _, result = api.request("POST", "/__legwork/invoke/TickFunction")
    assert status == 200
    assert result == {"ticked": "fixture"}  # the Hourly schedule's Input
    assert _item(aws, runtime, "tick:fixture")["kind"]["S"] == "tick"


def test_scheduler_schedule_without_input_gets_the_scheduled_event_shape(runtime, aws):
    invocation = runtime.events.fire("TickFunction", "Nightly")
    assert invocation.ok
    assert _item(aws, runtime, "tick:aws.scheduler")["detailType"]["S"] == "Scheduled Event"


def test_invoke_cli_talks_to_the_running_runtime(runtime, aws, capsys):
    port = runtime.options.port
    assert invoke_cli.main(["TickFunction", "--port", str(port)]) == 0
    assert json.loads(capsys.readouterr().out) == {"ticked": "fixture"}
    ok, result = invoke_cli.invoke("JobsFunction", {"Records": [
        {"messageId": "m", "body": json.dumps({"id": "cli"}), "attributes": {"ApproximateReceiveCount": "1"}},
    ]}, port=port)
    assert ok and result == {"batchItemFailures": []}
    assert _item(aws, runtime, "job:cli") is not None


def test_invoke_of_an_unknown_function_says_which_exist(api):
    status, _, body = api.request("POST", "/__legwork/invoke/NoSuchFunction")
    assert status == 404
    assert "TickFunction" in body["error"]["message"]


def test_function_error_is_reported_like_lambda_invoke(api):
    status, headers, body = api.request("POST", "/__legwork/invoke/JobsFunction", {"Records": "not a list"})
    assert status == 200
    assert headers["X-Amz-Function-Error"] == "Unhandled"
    assert body["errorType"] == "TypeError"
