"""PERSIST=1: tables, objects and secrets survive a restart of the local runtime."""
from __future__ import annotations

from pathlib import Path

from moto import mock_aws

from legwork import yamlcfn
from legwork.local import state
from legwork.local.provision import provision

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "local_app" / "template.yaml"


def test_saved_state_is_restored_into_a_fresh_stack(tmp_path):
    template = yamlcfn.load(FIXTURE)
    with mock_aws():
        stack = provision(template)
        stack.client("dynamodb").put_item(TableName=stack.name("ItemsTable"), Item={
            "itemId": {"S": "kept"}, "kind": {"S": "plain"}, "blob": {"B": b"\x00\xff"},
        })
        stack.client("s3").put_object(Bucket=stack.name("UploadsBucket"), Key="incoming/a b.txt", Body=b"hi",
                                      ContentType="text/plain")
        secret = stack.client("secretsmanager").get_secret_value(SecretId=stack.name("TokenSecret"))["SecretString"]
        assert state.save(stack, tmp_path / "state") == 2
    with mock_aws():
        fresh = provision(template)
        assert state.restore(fresh, tmp_path / "state") == 2
        item = fresh.client("dynamodb").get_item(TableName=fresh.name("ItemsTable"), Key={"itemId": {"S": "kept"}})
        assert item["Item"]["blob"]["B"] == b"\x00\xff"
        obj = fresh.client("s3").get_object(Bucket=fresh.name("UploadsBucket"), Key="incoming/a b.txt")
        assert obj["Body"].read() == b"hi" and obj["ContentType"] == "text/plain"
        value = fresh.client("secretsmanager").get_secret_value(SecretId=fresh.name("TokenSecret"))["SecretString"]
        assert value == secret  # tokens signed before the restart stay valid


def test_restore_without_saved_state_is_a_no_op(tmp_path):
    with mock_aws():
        assert state.restore(provision(yamlcfn.load(FIXTURE)), tmp_path / "nothing") == 0
