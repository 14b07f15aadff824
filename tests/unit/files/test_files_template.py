"""What the files fragment promises, read from the merged template."""
from __future__ import annotations

import json


def test_share_links_are_throttled_apart_from_the_rest_of_the_api(merged_template):
    settings = merged_template["Resources"]["Api"]["Properties"]["MethodSettings"]
    by_path = {(s["ResourcePath"], s["HttpMethod"]): s for s in settings}
    links = by_path[("/~1s~1{token}", "GET")]
    assert links["ThrottlingRateLimit"] == {"Ref": "ShareLinkRateLimit"}
    assert links["ThrottlingBurstLimit"] == {"Ref": "ShareLinkBurstLimit"}
    default = by_path[("/*", "*")]
    assert merged_template["Parameters"]["ShareLinkRateLimit"]["Default"] < default["ThrottlingRateLimit"]


def test_the_share_link_route_needs_no_sign_in_and_the_others_do(merged_template):
    paths = merged_template["Resources"]["Api"]["Properties"]["DefinitionBody"]["paths"]
    assert paths["/s/{token}"]["get"]["security"] == []
    for path, method in (("/files", "post"), ("/files", "get"), ("/files/{fileId}/links", "post"),
                         ("/links/{token}", "delete")):
        assert "security" not in paths[path][method], path


def test_links_expire_through_ttl(merged_template):
    props = merged_template["Resources"]["LinksTable"]["Properties"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}


def test_the_upload_checker_subscribes_to_files_only_and_never_refs_the_bucket(merged_template):
    function = merged_template["Resources"]["FileUploadedFunction"]["Properties"]
    event = function["Events"]["Uploaded"]["Properties"]
    assert event["Bucket"] == {"Ref": "UploadsBucket"}
    assert event["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "files/"}]
    own = json.dumps({k: function.get(k) for k in ("Environment", "Policies")})
    assert "UploadsBucket" not in own  # a Ref here would close a cycle through the bucket's notification
    policy = merged_template["Resources"]["FileUploadedS3Policy"]["Properties"]
    assert policy["Roles"] == [{"Ref": "FileUploadedFunctionRole"}]
    assert policy["PolicyDocument"]["Statement"][0]["Resource"] == {"Fn::Sub": "${UploadsBucket.Arn}/files/*"}


def test_the_asynchronous_functions_end_in_a_dlq_with_an_alarm(merged_template):
    resources = merged_template["Resources"]
    for name in ("FileUploadedFunction", "FilesSweepFunction"):
        config = resources[name]["Properties"]["EventInvokeConfig"]
        assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["FilesDLQ", "Arn"]}
    assert resources["FilesDLQAlarm"]["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["FilesDLQ", "QueueName"]}
