"""What src/auth/template.yaml promises: retained, encrypted data and least privilege."""
from __future__ import annotations

from legwork import ROOT, yamlcfn

TEMPLATE = yamlcfn.load(ROOT / "src" / "auth" / "template.yaml")
RESOURCES = TEMPLATE["Resources"]


def test_users_table_is_retained_recoverable_and_encrypted():
    table = RESOURCES["UsersTable"]

    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["KeySchema"] == [{"AttributeName": "username", "KeyType": "HASH"}]
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}


def test_signing_key_is_generated_by_cloudformation():
    spec = RESOURCES["TokenSigningSecret"]["Properties"]

    assert "SecretString" not in spec
    assert spec["GenerateSecretString"] == {"PasswordLength": 64, "ExcludePunctuation": True}


def test_every_function_policy_names_its_own_resources_and_no_wildcard():
    for logical_id, resource in RESOURCES.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []):
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert all("*" not in action for action in actions), logical_id
                assert statement["Resource"] == {"Fn::GetAtt": ["UsersTable", "Arn"]}, logical_id
            if "AWSSecretsManagerGetSecretValuePolicy" in policy:
                assert policy["AWSSecretsManagerGetSecretValuePolicy"] == {"SecretArn": {"Ref": "TokenSigningSecret"}}


def test_only_api_gateway_of_this_api_may_invoke_the_authorizer():
    permission = RESOURCES["AuthorizerInvokePermission"]["Properties"]

    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/authorizers/*"
    }
