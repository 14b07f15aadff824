"""Create a template's storage, queues, topics, secrets and parameters in moto.

`provision(template)` reads a plain template (`legwork.yamlcfn.load` output) and creates
every `AWS::DynamoDB::Table`, `AWS::S3::Bucket`, `AWS::SQS::Queue`, `AWS::SNS::Topic`,
`AWS::SecretsManager::Secret` and `AWS::SSM::Parameter` whose condition holds, with
deterministic stack-like names (`<stack>-<LogicalId>`, lower-case for buckets). The
returned `Stack` answers what CloudFormation would: `!Ref` (`name`), `!GetAtt`
(`attr`), any intrinsic (`resolve`) and a function's resolved environment (`env`).

    with mock_aws():                      # or provision(..., endpoint_url="http://localhost:5000")
        stack = provision(yamlcfn.load("template.yaml"), stage="dev")
        stack.name("UsersTable")          # 'legwork-dev-UsersTable'
        stack.env("LoginFunction")        # {'USERS_TABLE': 'legwork-dev-UsersTable', …}
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import secrets
import string
from typing import Any

from legwork.local.intrinsics import NO_VALUE, Resolver, TemplateError

ACCOUNT_ID = "123456789012"

# Resource types created in moto, in an order that lets later ones refer to earlier ones.
PROVISIONED_TYPES = (
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::SecretsManager::Secret",
    "AWS::SSM::Parameter",
)
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")

# What `!Ref` gives per type when it is not the physical name (CloudFormation's rules).
_NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::SSM::Parameter": "Name",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::LayerVersion": "LayerName",
    "AWS::Lambda::LayerVersion": "LayerName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Serverless::StateMachine": "Name",
}


class Stack:
    """A provisioned template: names, attributes and resolved values, as CloudFormation gives them."""

    def __init__(
        self,
        template: dict,
        *,
        stage: str = "dev",
        region: str = "us-east-1",
        stack_name: str | None = None,
        partition: str = "aws",
        endpoint_url: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        self.template = template
        self.stage = stage
        self.region = region
        self.partition = partition
        self.account_id = ACCOUNT_ID
        self.stack_name = stack_name or f"legwork-{stage}"
        self.endpoint_url = endpoint_url
        self.resources: dict[str, dict] = template.get("Resources") or {}
        overrides = dict(parameters or {})
        if "Stage" in (template.get("Parameters") or {}):
            overrides.setdefault("Stage", stage)
        self.resolver = Resolver(
            template,
            ref=self._ref,
            get_att=self._get_att,
            parameters=overrides,
            pseudo={
                "AWS::Partition": partition,
                "AWS::Region": region,
                "AWS::AccountId": ACCOUNT_ID,
                "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
                "AWS::StackName": self.stack_name,
                "AWS::StackId": f"arn:{partition}:cloudformation:{region}:{ACCOUNT_ID}:stack/{self.stack_name}/"
                + _short_hash(self.stack_name, 36),
                "AWS::NotificationARNs": [],
            },
        )
        # Attributes only the service knows (a table's StreamArn, a secret's ARN suffix).
        self._created: dict[str, dict[str, Any]] = {}
        self._names: dict[str, str] = {}
        self._clients: dict[str, Any] = {}

    # -- what CloudFormation answers ----------------------------------------------------
    def name(self, logical_id: str) -> Any:
        """What `!Ref logical_id` gives: a name, a queue URL, a topic or secret ARN …"""
        return self.resolver.ref(logical_id)

    def attr(self, logical_id: str, attribute: str) -> Any:
        """What `!GetAtt logical_id.attribute` gives (Arn, StreamArn, QueueUrl, QueueName …)."""
        return self.resolver.get_att(logical_id, attribute)

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function evaluated against this stack."""
        return self.resolver.resolve(value)

    def condition(self, name: str) -> bool:
        return self.resolver.condition(name)

    def is_active(self, logical_id: str) -> bool:
        """False when the resource's Condition says it does not exist in this stack."""
        return self.resolver.is_active(self.resources[logical_id])

    def function(self, logical_id: str) -> dict:
        """The function's properties with `Globals.Function` merged in, intrinsics unresolved."""
        return expand_function(self.template, logical_id)

    def functions(self) -> list[str]:
        """Logical ids of the active Lambda functions."""
        return [
            lid for lid, res in self.resources.items() if res.get("Type") in FUNCTION_TYPES and self.is_active(lid)
        ]

    def env(self, function_logical_id: str) -> dict[str, str]:
        """The function's Globals + own `Environment.Variables`, resolved to strings."""
        variables = (self.function(function_logical_id).get("Environment") or {}).get("Variables") or {}
        resolved = self.resolve(variables)
        return {k: _env_text(v) for k, v in resolved.items() if v is not NO_VALUE}

    def physical_names(self) -> dict[str, Any]:
        """`!Ref` of every provisioned resource, by logical id."""
        return {lid: self.name(lid) for lid in self._provisioned_ids()}

    # -- clients ------------------------------------------------------------------------
    def client(self, service: str) -> Any:
        """A boto3 client for `service` talking to this stack's moto (cached)."""
        if service not in self._clients:
            import boto3

            kwargs: dict[str, Any] = {"region_name": self.region}
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
                kwargs["aws_access_key_id"] = os.environ.get("AWS_ACCESS_KEY_ID", "testing")
                kwargs["aws_secret_access_key"] = os.environ.get("AWS_SECRET_ACCESS_KEY", "testing")
            self._clients[service] = boto3.client(service, **kwargs)
        return self._clients[service]

    # -- names and attributes -----------------------------------------------------------
    def _type(self, logical_id: str) -> str:
        return self.resources[logical_id].get("Type", "")

    def _physical(self, logical_id: str) -> str:
        if logical_id in self._names:
            return self._names[logical_id]
        resource = self.resources[logical_id]
        rtype = resource.get("Type", "")
        given = (resource.get("Properties") or {}).get(_NAME_PROPERTY.get(rtype, ""))
        if given is not None:
            name = str(self.resolve(given))
        elif rtype == "AWS::S3::Bucket":
            # Bucket names are global, lower-case and at most 63 characters.
            base = f"{self.stack_name}-{logical_id}".lower()[:50]
            name = f"{base}-{_short_hash(self.stack_name + logical_id, 8)}"
        elif rtype == "AWS::SQS::Queue" and _truthy((resource.get("Properties") or {}).get("FifoQueue")):
            name = f"{self.stack_name}-{logical_id}.fifo"
        elif rtype == "AWS::SSM::Parameter":
            name = f"/{self.stack_name}/{logical_id}"
        else:
            name = f"{self.stack_name}-{logical_id}"
        self._names[logical_id] = name
        return name

    def _arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account_id if account else ''}:{resource}"
        )

    def _ref(self, logical_id: str) -> Any:
        resource = self.resources[logical_id]
        if not self.resolver.is_active(resource):
            raise TemplateError(f"Ref to {logical_id}: its Condition {resource['Condition']!r} is false.")
        rtype = resource.get("Type", "")
        name = self._physical(logical_id)
        if rtype == "AWS::SQS::Queue":
            return self._created.get(logical_id, {}).get("QueueUrl") or self._queue_url(name)
        if rtype == "AWS::SNS::Topic":
            return self._created.get(logical_id, {}).get("TopicArn") or self._arn("sns", name)
        if rtype == "AWS::SecretsManager::Secret":
            return self._created.get(logical_id, {}).get("Arn") or self._arn("secretsmanager", f"secret:{name}")
        if rtype in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            return self._arn("lambda", f"layer:{name}:1")
        if rtype in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi", "AWS::Serverless::HttpApi"):
            return _short_hash(self.stack_name + logical_id, 10)
        return name

    def _queue_url(self, name: str) -> str:
        if self.endpoint_url:
            return f"{self.endpoint_url.rstrip('/')}/{self.account_id}/{name}"
        return f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{name}"

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        resource = self.resources[logical_id]
        rtype = resource.get("Type", "")
        name = self._physical(logical_id)
        known = self._created.get(logical_id, {})
        if attribute in known:
            return known[attribute]
        if rtype == "AWS::DynamoDB::Table":
            if attribute == "Arn":
                return self._arn("dynamodb", f"table/{name}")
            if attribute == "StreamArn":
                raise TemplateError(
                    f"GetAtt {logical_id}.StreamArn: the table has no StreamSpecification, or it was not provisioned yet."
                )
        if rtype == "AWS::S3::Bucket":
            suffix = self.resolver.pseudo["AWS::URLSuffix"]
            return {
                "Arn": self._arn("s3", name, region=False, account=False),
                "DomainName": f"{name}.s3.{suffix}",
                "RegionalDomainName": f"{name}.s3.{self.region}.{suffix}",
                "DualStackDomainName": f"{name}.s3.dualstack.{self.region}.{suffix}",
                "WebsiteURL": f"http://{name}.s3-website-{self.region}.{suffix}",
            }.get(attribute) or self._unknown(logical_id, attribute)
        if rtype == "AWS::SQS::Queue":
            return {
                "Arn": self._arn("sqs", name),
                "QueueName": name,
                "QueueUrl": self._queue_url(name),
            }.get(attribute) or self._unknown(logical_id, attribute)
        if rtype == "AWS::SNS::Topic":
            return {"TopicArn": self._arn("sns", name), "TopicName": name}.get(attribute) or self._unknown(
                logical_id, attribute
            )
        if rtype == "AWS::SecretsManager::Secret" and attribute in ("Id", "Arn"):
            return self._ref(logical_id)
        if rtype == "AWS::SSM::Parameter":
            props = resource.get("Properties") or {}
            if attribute == "Value":
                return self.resolve(props.get("Value"))
            if attribute == "Type":
                return self.resolve(props.get("Type", "String"))
        # SAM's `!Ref Fn.Alias` / `Fn.Version` (AutoPublishAlias): locally there are no
        # versions, the alias is the function.
        if rtype in FUNCTION_TYPES and attribute in ("Arn", "Alias", "Version"):
            return self._arn("lambda", f"function:{name}")
        if rtype in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi") and attribute == "RootResourceId":
            return _short_hash(name + "root", 10)
        if rtype == "AWS::IAM::Role" and attribute == "Arn":
            return self._arn("iam", f"role/{name}", region=False)
        if attribute == "Arn":
            service = rtype.split("::")[1].lower() if rtype.count("::") >= 2 else "unknown"
            return self._arn(service, f"{logical_id}/{name}")
        return self._unknown(logical_id, attribute)

    def _unknown(self, logical_id: str, attribute: str) -> Any:
        raise TemplateError(f"GetAtt {logical_id}.{attribute}: the local runtime does not know this attribute.")

    # -- creation -----------------------------------------------------------------------
    def _provisioned_ids(self) -> list[str]:
        ids = [
            lid
            for lid, res in self.resources.items()
            if res.get("Type") in PROVISIONED_TYPES and self.resolver.is_active(res)
        ]
        # A queue naming a dead-letter queue comes after it; otherwise template order by type.
        return sorted(
            ids,
            key=lambda lid: (
                PROVISIONED_TYPES.index(self._type(lid)),
                "RedrivePolicy" in (self.resources[lid].get("Properties") or {}),
            ),
        )

    def create_all(self) -> None:
        """Create every provisioned resource in moto (idempotent per process for queues/topics)."""
        for logical_id in self._provisioned_ids():
            creator = _CREATORS[self._type(logical_id)]
            creator(self, logical_id, self.resolve(self.resources[logical_id].get("Properties") or {}))


def _create_table(stack: Stack, lid: str, props: dict) -> None:
    ddb = stack.client("dynamodb")
    name = stack._physical(lid)
    on_demand = props.get("BillingMode", "PROVISIONED" if "ProvisionedThroughput" in props else "PAY_PER_REQUEST")
    args: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": on_demand,
    }
    throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    if on_demand == "PROVISIONED":
        args["ProvisionedThroughput"] = props.get("ProvisionedThroughput", throughput)
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(key):
            indexes = []
            for index in props[key]:
                index = {k: v for k, v in index.items() if k not in ("ContributorInsightsSpecification",)}
                if on_demand == "PROVISIONED" and key == "GlobalSecondaryIndexes":
                    index.setdefault("ProvisionedThroughput", throughput)
                elif on_demand != "PROVISIONED":
                    index.pop("ProvisionedThroughput", None)
                indexes.append(index)
            args[key] = indexes
    stream = props.get("StreamSpecification")
    if stream:
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    description = ddb.create_table(**args)["TableDescription"]
    created = {"Arn": description["TableArn"]}
    if description.get("LatestStreamArn"):
        created["StreamArn"] = description["LatestStreamArn"]
    stack._created[lid] = created
    ttl = props.get("TimeToLiveSpecification")
    if ttl and _truthy(ttl.get("Enabled")):
        ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )


def _create_bucket(stack: Stack, lid: str, props: dict) -> None:
    s3 = stack.client("s3")
    name = stack._physical(lid)
    args: dict[str, Any] = {"Bucket": name}
    if stack.region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": stack.region}
    s3.create_bucket(**args)
    if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    cors = (props.get("CorsConfiguration") or {}).get("CorsRules")
    if cors:
        rules = []
        for rule in cors:
            out = {k: rule[k] for k in ("AllowedHeaders", "AllowedMethods", "AllowedOrigins") if k in rule}
            if "ExposedHeaders" in rule:
                out["ExposeHeaders"] = rule["ExposedHeaders"]
            if "MaxAge" in rule:
                out["MaxAgeSeconds"] = int(rule["MaxAge"])
            rules.append(out)
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})


_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds", "FifoQueue", "ContentBasedDeduplication",
    "DeduplicationScope", "FifoThroughputLimit",
)


def _create_queue(stack: Stack, lid: str, props: dict) -> None:
    attributes = {key: _attr_text(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    if "RedrivePolicy" in props:
        policy = props["RedrivePolicy"]
        attributes["RedrivePolicy"] = policy if isinstance(policy, str) else json.dumps(
            {"deadLetterTargetArn": policy["deadLetterTargetArn"], "maxReceiveCount": int(policy["maxReceiveCount"])}
        )
    response = stack.client("sqs").create_queue(QueueName=stack._physical(lid), Attributes=attributes)
    stack._created[lid] = {"QueueUrl": response["QueueUrl"]}


def _create_topic(stack: Stack, lid: str, props: dict) -> None:
    attributes = {}
    if _truthy(props.get("FifoTopic")):
        attributes["FifoTopic"] = "true"
    if "ContentBasedDeduplication" in props:
        attributes["ContentBasedDeduplication"] = _attr_text(props["ContentBasedDeduplication"])
    arn = stack.client("sns").create_topic(Name=stack._physical(lid), Attributes=attributes)["TopicArn"]
    stack._created[lid] = {"TopicArn": arn}


def _create_secret(stack: Stack, lid: str, props: dict) -> None:
    value = props.get("SecretString")
    if value is None:
        value = generate_secret_string(props.get("GenerateSecretString") or {})
    arn = stack.client("secretsmanager").create_secret(Name=stack._physical(lid), SecretString=value)["ARN"]
    stack._created[lid] = {"Arn": arn, "Id": arn}


def generate_secret_string(spec: dict) -> str:
    """A random secret as `GenerateSecretString` describes it (length, exclusions, JSON template)."""
    alphabet = ""
    if not _truthy(spec.get("ExcludeLowercase")):
        alphabet += string.ascii_lowercase
    if not _truthy(spec.get("ExcludeUppercase")):
        alphabet += string.ascii_uppercase
    if not _truthy(spec.get("ExcludeNumbers")):
        alphabet += string.digits
    if not _truthy(spec.get("ExcludePunctuation")):
        alphabet += "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    if _truthy(spec.get("IncludeSpace")):
        alphabet += " "
    excluded = set(spec.get("ExcludeCharacters", ""))
    alphabet = "".join(c for c in alphabet if c not in excluded) or string.ascii_letters
    password = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if spec.get("SecretStringTemplate") and spec.get("GenerateStringKey"):
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = password
        return json.dumps(document)
    return password


def _create_parameter(stack: Stack, lid: str, props: dict) -> None:
    value = props["Value"]
    kind = props.get("Type", "String")
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    args: dict[str, Any] = {"Name": stack._physical(lid), "Value": str(value), "Type": kind, "Overwrite": True}
    if props.get("AllowedPattern"):
        args["AllowedPattern"] = props["AllowedPattern"]
    stack.client("ssm").put_parameter(**args)


_CREATORS = {
    "AWS::DynamoDB::Table": _create_table,
    "AWS::S3::Bucket": _create_bucket,
    "AWS::SQS::Queue": _create_queue,
    "AWS::SNS::Topic": _create_topic,
    "AWS::SecretsManager::Secret": _create_secret,
    "AWS::SSM::Parameter": _create_parameter,
}


def provision(
    template: dict,
    *,
    stage: str = "dev",
    region: str = "us-east-1",
    endpoint_url: str | None = None,
    stack_name: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> Stack:
    """Create the template's tables, buckets, queues, topics, secrets and parameters in moto.

    In-process when `endpoint_url` is None (the caller has entered `mock_aws`), otherwise
    against the moto server at `endpoint_url` (address it as `http://localhost:PORT`).
    """
    stack = Stack(
        template,
        stage=stage,
        region=region,
        endpoint_url=endpoint_url,
        stack_name=stack_name,
        parameters=parameters,
    )
    stack.create_all()
    return stack


# -- SAM: a function's properties with Globals ------------------------------------------
def expand_function(template: dict, logical_id: str) -> dict:
    """`Globals.Function` merged into the function's Properties, as SAM does it.

    Scalars of the function win; maps (Environment.Variables, Tags) merge with the
    function's keys winning; lists (Layers) are the global entries followed by the
    function's own.

        >>> expand_function(template, "LoginFunction")["Timeout"]
        10
    """
    resource = (template.get("Resources") or {})[logical_id]
    own = copy.deepcopy(resource.get("Properties") or {})
    if resource.get("Type") != "AWS::Serverless::Function":
        return own
    glob = copy.deepcopy(((template.get("Globals") or {}).get("Function")) or {})
    return _merge_globals(glob, own)


def _merge_globals(glob: Any, own: Any) -> Any:
    if isinstance(glob, dict) and isinstance(own, dict) and not _is_intrinsic(glob) and not _is_intrinsic(own):
        merged = dict(glob)
        for key, value in own.items():
            merged[key] = _merge_globals(glob[key], value) if key in glob else value
        return merged
    if isinstance(glob, list) and isinstance(own, list):
        return glob + own
    return own


def _is_intrinsic(value: dict) -> bool:
    return len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref", "Condition"))


# -- small helpers --------------------------------------------------------------------
def _short_hash(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _attr_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
