"""What the receipts fragment promises, read from the merged template."""
from __future__ import annotations

import importlib
import json


def resources(template: dict) -> dict:
    return template["Resources"]


def test_the_receipts_table_keeps_the_contract_reports_are_built_on(merged_template) -> None:
    table = resources(merged_template)["ReceiptsTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "receiptId", "KeyType": "HASH"}]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    indexes = {gsi["IndexName"]: [k["AttributeName"] for k in gsi["KeySchema"]] for gsi in props["GlobalSecondaryIndexes"]}
    assert indexes["byTask"] == ["taskId", "createdAt"]
    assert indexes["pending"] == ["pendingPk", "pendingSince"]


def test_the_ocr_function_subscribes_to_receipts_only_and_fails_over_to_an_alarmed_dlq(merged_template) -> None:
    ocr = resources(merged_template)["OcrFunction"]["Properties"]
    (event,) = ocr["Events"].values()
    assert event["Type"] == "S3" and event["Properties"]["Bucket"] == {"Ref": "UploadsBucket"}
    assert event["Properties"]["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "receipts/"}]
    assert {"Ref": "OcrLayer"} in ocr["Layers"] and ocr["Timeout"] >= 30
    invoke = ocr["EventInvokeConfig"]
    assert invoke["MaximumRetryAttempts"] == 2
    assert invoke["DestinationConfig"]["OnFailure"] == {"Type": "SQS", "Destination": {"Fn::GetAtt": ["ReceiptsDLQ", "Arn"]}}
    alarm = resources(merged_template)["ReceiptsDLQAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["ReceiptsDLQ", "QueueName"]}
    # Naming the bucket in its own environment or policies would close a cycle (CONTRIBUTING).
    assert "UploadsBucket" not in json.dumps({k: v for k, v in ocr.items() if k != "Events"})
    policy = resources(merged_template)["OcrUploadsPolicy"]["Properties"]
    assert policy["Roles"] == [{"Ref": "OcrFunctionRole"}]
    assert json.dumps(policy["PolicyDocument"]).count("/receipts/*") == 1


def test_the_ocr_layer_is_built_for_arm64_with_its_trims(merged_template) -> None:
    layer = resources(merged_template)["OcrLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/ocr"
    assert layer["Metadata"]["BuildMethod"] == "python3.12" and layer["Metadata"]["BuildArchitecture"] == "arm64"
    assert "onnxruntime/capi/libonnxruntime.so*" in layer["Metadata"]["Legwork"]["Exclude"]


def test_the_upload_issuer_may_write_receipts_only(merged_template) -> None:
    create = resources(merged_template)["CreateReceiptFunction"]["Properties"]
    statements = create["Policies"][0]["Statement"]
    s3 = [s for s in statements if any(a.startswith("s3:") for a in s["Action"])]
    assert s3 == [{"Effect": "Allow", "Action": ["s3:PutObject"],
                   "Resource": {"Fn::Sub": "${UploadsBucket.Arn}/receipts/*"}}]


def test_each_function_names_a_real_handler_of_its_own_package(merged_template) -> None:
    functions = {lid: r for lid, r in resources(merged_template).items()
                 if r["Type"] == "AWS::Serverless::Function" and r["Properties"]["CodeUri"] == "src/receipts"}
    assert set(functions) == {"CreateReceiptFunction", "ListTaskReceiptsFunction", "GetReceiptFunction",
                              "CorrectReceiptFunction", "OcrFunction", "SweepReceiptsFunction"}
    for lid, resource in functions.items():
        module, _, name = resource["Properties"]["Handler"].rpartition(".")
        assert module == "receipts.handlers" and callable(getattr(importlib.import_module(module), name)), lid


def test_s3_invokes_the_ocr_functions_live_alias_whose_failures_reach_an_alarmed_dlq(merged_template) -> None:
    """What CloudFormation gets (SAM expanded): the bucket notifies the published alias,
    whose retries and on-failure destination are configured on that alias, and the DLQ has
    a depth alarm (the fragment's) and an age alarm (the merge's), both to the ops topic."""
    from legwork.lint import translate

    translated = translate(merged_template, region="cn-north-1")["Resources"]
    configs = translated["UploadsBucket"]["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    receipts = [c for c in configs if c["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "receipts/"}]]
    assert [c["Function"] for c in receipts] == [{"Ref": "OcrFunctionAliaslive"}]
    assert "OcrFunctionUploadedPermission" in translated["UploadsBucket"]["DependsOn"]
    assert translated["OcrFunctionUploadedPermission"]["Properties"]["FunctionName"] == {"Ref": "OcrFunctionAliaslive"}
    (invoke,) = [r["Properties"] for r in translated.values()
                 if r["Type"] == "AWS::Lambda::EventInvokeConfig" and r["Properties"]["FunctionName"] == {"Ref": "OcrFunction"}]
    assert invoke["Qualifier"] == "live" and invoke["MaximumRetryAttempts"] == 2
    assert invoke["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["ReceiptsDLQ", "Arn"]}
    alarms = {name: r["Properties"] for name, r in translated.items() if r["Type"] == "AWS::CloudWatch::Alarm"
              and {"Name": "QueueName", "Value": {"Fn::GetAtt": ["ReceiptsDLQ", "QueueName"]}} in r["Properties"]["Dimensions"]}
    assert {a["MetricName"] for a in alarms.values()} == {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"}
    assert all(a["AlarmActions"] == [{"Ref": "OpsTopic"}] for a in alarms.values())
