"""The shared uploads bucket and files table: what CONTRIBUTING.md promises the resources that use them."""
from __future__ import annotations


def test_uploads_bucket_is_private_encrypted_versioned_and_retained(merged_template):
    bucket = merged_template["Resources"]["UploadsBucket"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    props = bucket["Properties"]
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"}
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}


def test_browsers_may_post_uploads_from_the_configured_origin_only(merged_template):
    (rule,) = merged_template["Resources"]["UploadsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["POST"]
    assert rule["AllowedOrigins"] == [{"Ref": "CorsAllowOrigin"}]


def test_uploads_bucket_refuses_plain_http_with_partition_aware_arns(merged_template):
    policy = merged_template["Resources"]["UploadsBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "UploadsBucket"}
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:s3:::${UploadsBucket}"},
                                     {"Fn::Sub": "arn:${AWS::Partition}:s3:::${UploadsBucket}/*"}]


def test_files_table_has_the_owner_and_status_indexes(merged_template):
    table = merged_template["Resources"]["FilesTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    props = table["Properties"]
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["fileId"]
    indexes = {i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]] for i in props["GlobalSecondaryIndexes"]}
    assert indexes == {"byOwner": ["ownerId", "createdAt"], "byStatus": ["status", "createdAt"]}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_the_local_stack_creates_the_bucket_and_the_table(aws_stack):
    s3 = aws_stack.client("s3")
    bucket = aws_stack.name("UploadsBucket")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedMethods"] == ["POST"]
    table = aws_stack.client("dynamodb").describe_table(TableName=aws_stack.name("FilesTable"))["Table"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"byOwner", "byStatus"}
