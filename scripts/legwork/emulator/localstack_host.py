"""LocalStack without Docker, for the offline deploy check: run as the LocalStack venv's
`python localstack_host.py` (never imported by the tooling's own venv).

LocalStack's CloudFormation engine, API Gateway, IAM, S3, SQS, SNS, CloudWatch … run as
they ship. What it cannot do on a machine without Docker or Java, and what it does
differently from AWS, is changed here — each change says why:

1. Lambda functions run on the host: each execution environment is one
   `legwork/local/worker_main.py` process (the runtime loop `make dev` uses) with the
   deployed zip and layers unpacked by LocalStack on its path, instead of a container
   with AWS's runtime image (which LocalStack downloads and runs under Docker).
2. DynamoDB and DynamoDB Streams are served by moto (LocalStack's own DynamoDB is
   DynamoDB Local, a Java program it downloads).
3. The China regions are accepted (LocalStack rewrites every region outside `aws` to
   us-east-1, which would make every ARN `arn:aws:`).
4. The SAM transform runs in the stack's own region, as CloudFormation does (LocalStack
   keeps the process's default region, so a cn-north-1 stack got `arn:aws:` policies).
5. SAM is expanded before references are resolved, as CloudFormation does (LocalStack
   resolves them first when no `Fn::Transform` is used, and refuses `!Ref Fn.Alias`).
6. `AWS::CloudWatch::Dashboard` gets a resource provider (the community edition has
   none, and a type it does not know would otherwise be skipped as if it had worked).
7. A resource type is supported when LocalStack has a provider that creates it (its own
   check asks a catalogue it downloads, which offline calls every type unsupported), and
   CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES=0 makes any other type fail the deploy.
8. `!Ref` to a resource updated in place is unchanged, as in CloudFormation (its physical
   ID stays); LocalStack counts it as changed, so a code change made it replace the
   function's alias (a create-only FunctionName) and fail on "alias already exists".
9. `AWS::Lambda::Alias` can be updated (LocalStack's provider cannot: after a code change
   the `live` alias stayed on the old version while the stack said UPDATE_COMPLETE).
10. `DeletionPolicy: Retain` is honoured when a stack is deleted (LocalStack's engine
    deletes every resource, retained tables included).
11. CloudFront (the web app's distribution, its origin access control in AWS global and
    origin access identity in AWS China, and the invalidations `make deploy` makes) is
    served by moto, plus origin access identities kept here (moto has none); the community
    edition has no CloudFront at all. A bucket's DomainName and RegionalDomainName are
    the names AWS gives (`<bucket>.s3.<region>.amazonaws.com[.cn]`), not LocalStack's host,
    so that they can be a CloudFront origin.

Configuration is LocalStack's, from the environment (set by `legwork.emulator`):
GATEWAY_LISTEN=127.0.0.1:<port> with GATEWAY_SERVER=hypercorn (the default server binds
0.0.0.0), LEGWORK_WORKER_MAIN (path of worker_main.py), LEGWORK_EMULATOR_URL.
"""
from __future__ import annotations

import itertools
import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

WORKER_MAIN = os.environ["LEGWORK_WORKER_MAIN"]
ENDPOINT = os.environ["LEGWORK_EMULATOR_URL"]


# -- 1. Lambda on the host ------------------------------------------------------------------
from localstack.services.lambda_.invocation import runtime_executor  # noqa: E402
from localstack.services.lambda_.invocation.lambda_models import InvocationResult  # noqa: E402


class HostRuntimeExecutor(runtime_executor.RuntimeExecutor):
    """One warm worker process per execution environment; one invocation at a time."""

    def __init__(self, id: str, function_version) -> None:
        super().__init__(id, function_version)
        self.proc: subprocess.Popen | None = None
        self.logs: list[str] = []
        self._fd = -1
        self._buffer = b""
        self._ids = itertools.count(1)

    def start(self, env_vars: dict) -> None:
        config = self.function_version.config
        config.code.prepare_for_execution()
        paths = [str(config.code.get_unzipped_code_location())]
        for layer in config.layers or []:
            layer.code.prepare_for_execution()
            paths.append(str(Path(layer.code.get_unzipped_code_location()) / "python"))
        env = {key: str(value) for key, value in env_vars.items()}
        env.update(LEGWORK_SYS_PATH=os.pathsep.join(paths), PATH=os.environ.get("PATH", ""),
                   AWS_ENDPOINT_URL=ENDPOINT, PYTHONDONTWRITEBYTECODE="1")
        read_fd, write_fd = os.pipe()
        self.proc = subprocess.Popen(
            [sys.executable, "-u", WORKER_MAIN, str(write_fd)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, pass_fds=(write_fd,), env=env, cwd=paths[0],
        )
        os.close(write_fd)
        self._fd = read_fd
        threading.Thread(target=self._pump, daemon=True).start()
        self._read(60)  # the worker's "ready" line, after the function's init phase

    def _pump(self) -> None:
        for raw in iter(self.proc.stdout.readline, b""):
            self.logs.append(raw.decode("utf-8", "replace"))

    def _read(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([self._fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError(f"function {self.function_version.id.function_name} timed out")
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                raise RuntimeError("worker exited: " + "".join(self.logs[-20:]))
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def invoke(self, payload: dict) -> InvocationResult:
        timeout = float(self.function_version.config.timeout)
        request = {"op": "invoke", "id": next(self._ids), "event": json.loads(payload["payload"] or "null"),
                   "request_id": payload["invoke-id"], "deadline_ms": int((time.time() + timeout) * 1000),
                   "trace_id": payload.get("trace-id", "")}
        first_log = len(self.logs)
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()
        response = self._read(timeout)
        logs = "".join(self.logs[first_log:])
        if response.get("ok"):
            return InvocationResult(payload["invoke-id"], json.dumps(response["result"]).encode(), False, logs)
        error = {key: response.get(key) for key in ("errorType", "errorMessage", "stackTrace")}
        return InvocationResult(payload["invoke-id"], json.dumps(error).encode(), True, logs)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.stdin.close()  # ends the worker's loop
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        return ENDPOINT  # no runtime API: requests go over the worker's pipe

    def get_logs(self) -> str:
        return "".join(self.logs)

    @classmethod
    def prepare_version(cls, function_version) -> None:
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version) -> None:
        pass

    @classmethod
    def validate_environment(cls) -> bool:
        return True


def _host_executor() -> type:
    return HostRuntimeExecutor


import localstack.services.lambda_.invocation.execution_environment as _execution_environment  # noqa: E402
import localstack.services.lambda_.invocation.version_manager as _version_manager  # noqa: E402
import localstack.services.lambda_.provider as _lambda_provider  # noqa: E402

for _module in (runtime_executor, _execution_environment, _version_manager, _lambda_provider):
    _module.get_runtime_executor = _host_executor


# -- 2. DynamoDB and its streams served by moto -------------------------------------------
import localstack.services.providers as _providers  # noqa: E402
from localstack.services.plugins import Service, aws_provider  # noqa: E402


@aws_provider(api="dynamodb")
def dynamodb():
    from localstack.aws.api.dynamodb import DynamodbApi
    from localstack.services.moto import MotoFallbackDispatcher

    class MotoDynamoDB(DynamodbApi):
        """Every operation falls through to moto."""

    return Service.for_provider(MotoDynamoDB(), dispatch_table_factory=MotoFallbackDispatcher)


@aws_provider(api="dynamodbstreams")
def dynamodbstreams():
    from localstack.aws.api.dynamodbstreams import DynamodbstreamsApi
    from localstack.services.moto import MotoFallbackDispatcher

    class MotoDynamoDBStreams(DynamodbstreamsApi):
        """Every operation falls through to moto (whose tables the streams belong to)."""

    return Service.for_provider(MotoDynamoDBStreams(), dispatch_table_factory=MotoFallbackDispatcher)


_providers.dynamodb = dynamodb  # the plugin entry points name these attributes
_providers.dynamodbstreams = dynamodbstreams


# -- 3. The China regions -------------------------------------------------------------------
from boto3 import Session  # noqa: E402
from localstack.aws.handlers import region as _region  # noqa: E402

_REGIONS = [r for partition in ("aws", "aws-cn") for r in Session().get_available_regions("s3", partition)]
_region.DefaultRegionRewriterStrategy.available_regions = property(lambda self: _REGIONS)


# -- 4. and 5. The SAM transform as CloudFormation runs it ----------------------------------
from localstack.services.cloudformation.engine.v2 import change_set_model_transform as _transform  # noqa: E402

_serverless = _transform.ChangeSetModelTransform._apply_global_serverless_transformation
_local_transforms = _transform.ChangeSetModelTransform._execute_local_transforms


def _serverless_in_stack_region(region_name: str, template: dict, parameters: dict) -> dict:
    before = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region_name  # samtranslator derives the partition from it
    try:
        return _serverless(region_name, template, parameters)
    finally:
        if before is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = before


def _local_transforms_when_used(self) -> None:
    if "Fn::Transform" in json.dumps(self._after_template, default=str):
        _local_transforms(self)


_transform.ChangeSetModelTransform._apply_global_serverless_transformation = staticmethod(_serverless_in_stack_region)
_transform.ChangeSetModelTransform._execute_local_transforms = _local_transforms_when_used


# -- 6. AWS::CloudWatch::Dashboard ---------------------------------------------------------
from localstack.services.cloudformation import resource_provider as _resource_provider  # noqa: E402
from localstack.services.cloudformation.resource_provider import (  # noqa: E402
    OperationStatus,
    ProgressEvent,
    ResourceProvider,
)


class DashboardProvider(ResourceProvider):
    TYPE = "AWS::CloudWatch::Dashboard"
    SCHEMA = {
        "typeName": TYPE,
        "primaryIdentifier": ["/properties/DashboardName"],
        "createOnlyProperties": ["/properties/DashboardName"],
        "properties": {"DashboardName": {"type": "string"}, "DashboardBody": {"type": "string"}},
    }

    def create(self, request):
        model = request.desired_state
        model.setdefault("DashboardName", f"{request.stack_name}-{request.logical_resource_id}")
        request.aws_client_factory.cloudwatch.put_dashboard(
            DashboardName=model["DashboardName"], DashboardBody=model["DashboardBody"])
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)

    def update(self, request):
        return self.create(request)

    def delete(self, request):
        request.aws_client_factory.cloudwatch.delete_dashboards(DashboardNames=[request.desired_state["DashboardName"]])
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=request.desired_state)

    def read(self, request):
        raise NotImplementedError


_load_provider = _resource_provider.ResourceProviderExecutor.try_load_resource_provider


from localstack.services.lambda_.resource_providers.lambda_alias import LambdaAliasProvider  # noqa: E402


class AliasProvider(LambdaAliasProvider):
    """LocalStack's alias provider, with the update CloudFormation does in place."""

    def update(self, request):
        model = request.desired_state
        params = {key: model[key] for key in ("FunctionName", "Name", "FunctionVersion", "Description", "RoutingConfig")
                  if model.get(key) is not None}
        request.aws_client_factory.lambda_.update_alias(**params)
        model["Id"] = (request.previous_state or {}).get("Id") or model.get("Id")
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)




# -- 11. CloudFront --------------------------------------------------------------------------
# The community edition has no CloudFront. Its API is served by moto (distributions, origin
# access controls, invalidations), plus origin access identities, which moto lacks and AWS
# China uses; the three resource types the web app's template uses get providers that call
# that API, so the template's DistributionConfig goes through botocore's validation of the
# real request shape.
import secrets  # noqa: E402

from botocore.session import get_session as _botocore_session  # noqa: E402
from localstack.aws.api import CommonServiceException, handler  # noqa: E402


@aws_provider(api="cloudfront")
def cloudfront():
    from localstack.services.moto import MotoFallbackDispatcher

    class CloudFront:
        """moto's CloudFront, with origin access identities kept here."""

        service = "cloudfront"
        version = "2020-05-31"

        def __init__(self) -> None:
            self.identities: dict[tuple[str, str], tuple[dict, str]] = {}  # (account, id) -> (identity, etag)

        def _identity(self, context, ident: str) -> tuple[dict, str]:
            try:
                return self.identities[(context.account_id, ident)]
            except KeyError:
                raise CommonServiceException("NoSuchCloudFrontOriginAccessIdentity",
                                             f"The specified origin access identity does not exist: {ident}",
                                             status_code=404) from None

        @handler("CreateCloudFrontOriginAccessIdentity", expand=False)
        def create_identity(self, context, request):
            ident = "E" + secrets.token_hex(7).upper()[:13]
            record = {"Id": ident, "S3CanonicalUserId": secrets.token_hex(32),
                      "CloudFrontOriginAccessIdentityConfig": request["CloudFrontOriginAccessIdentityConfig"]}
            etag = secrets.token_hex(7).upper()  # the version; it would change on an update
            self.identities[(context.account_id, ident)] = (record, etag)
            return {"CloudFrontOriginAccessIdentity": record, "ETag": etag,
                    "Location": f"{ENDPOINT}/2020-05-31/origin-access-identity/cloudfront/{ident}"}

        @handler("GetCloudFrontOriginAccessIdentity", expand=False)
        def get_identity(self, context, request):
            record, etag = self._identity(context, request["Id"])
            return {"CloudFrontOriginAccessIdentity": record, "ETag": etag}

        @handler("DeleteCloudFrontOriginAccessIdentity", expand=False)
        def delete_identity(self, context, request):
            if self._identity(context, request["Id"])[1] != request.get("IfMatch"):
                raise CommonServiceException("PreconditionFailed", "The If-Match version is missing or not valid.",
                                             status_code=412)
            del self.identities[(context.account_id, request["Id"])]
            return {}

    def every_other_operation_to_moto(provider):
        from localstack.aws.spec import load_service
        from localstack.services.moto import _proxy_moto

        table = MotoFallbackDispatcher(provider)
        for operation in load_service("cloudfront").operation_names:
            table.setdefault(operation, _proxy_moto)
        return table

    return Service.for_provider(CloudFront(), dispatch_table_factory=every_other_operation_to_moto)


from localstack.services.plugins import ServicePluginManager as _ServicePlugins  # noqa: E402

_resolve_specs = _ServicePlugins._resolve_api_provider_specs
_load_service_plugin = _ServicePlugins._load_service_plugin


def _specs_with_cloudfront(self):
    specs = _resolve_specs(self)
    specs["cloudfront"] = ["default"]
    return specs


def _load_cloudfront_too(self, name: str):
    if name != "cloudfront":
        return _load_service_plugin(self, name)
    plugin = cloudfront.factory()
    plugin.name = "cloudfront:default"
    plugin.load()
    return plugin


_ServicePlugins._resolve_api_provider_specs = _specs_with_cloudfront
_ServicePlugins._load_service_plugin = _load_cloudfront_too

_CLOUDFRONT = _botocore_session().get_service_model("cloudfront")
_CFN_NAMES = {"IPV6Enabled": "IsIPV6Enabled"}  # where CloudFormation's name differs from the API's


def _api_shape(value, shape):
    """A CloudFormation property value in the CloudFront API's shape: lists become
    {Quantity, Items}; what botocore then refuses fails the deploy."""
    if shape.type_name == "structure":
        members = shape.members
        if isinstance(value, list) and {"Quantity", "Items"} <= set(members):
            return {"Quantity": len(value), "Items": [_api_shape(v, members["Items"].member) for v in value]}
        if not isinstance(value, dict):
            return value
        out = {}
        for key, item in value.items():
            key = _CFN_NAMES.get(key, key)
            if key == "Locations" and {"Quantity", "Items"} <= set(members):  # GeoRestriction
                out.update(_api_shape(item, shape))
            elif key == "CachedMethods" and "AllowedMethods" in members:
                continue  # CloudFormation's sibling of AllowedMethods is nested inside it in the API
            else:
                out[key] = _api_shape(item, members[key]) if key in members else item
        if "CachedMethods" in value and "AllowedMethods" in out:
            out["AllowedMethods"]["CachedMethods"] = _api_shape(
                value["CachedMethods"], members["AllowedMethods"].members["CachedMethods"])
        if "Cookies" in members and "Cookies" not in out and "QueryString" in out:  # ForwardedValues
            out["Cookies"] = {"Forward": "none"}  # CloudFormation's default
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [_api_shape(v, shape.member) for v in value]
    if shape.type_name == "boolean" and isinstance(value, str):
        return value.lower() == "true"
    if shape.type_name in ("integer", "long") and isinstance(value, str):
        return int(value)
    return value


def _distribution_config(properties: dict, caller_reference: str) -> dict:
    config = _api_shape(properties, _CLOUDFRONT.shape_for("DistributionConfig"))
    return {"Comment": "", **config, "CallerReference": caller_reference}


# A bucket's DomainName and RegionalDomainName are the names AWS gives it (LocalStack gives
# its own host, which no CloudFront origin accepts), with the partition's DNS suffix; and
# moto's check of an S3 origin ("ends with amazonaws.com") admits AWS China's `.com.cn`.
from localstack.services.s3.resource_providers import aws_s3_bucket as _s3_bucket  # noqa: E402
from moto.cloudfront import models as _moto_cloudfront  # noqa: E402

_bucket_attributes = _s3_bucket.S3BucketProvider._setup_post_creation_attributes


def _bucket_names_as_aws(self, model, region: str):
    _bucket_attributes(self, model, region)
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    model["RegionalDomainName"] = f"{model['BucketName']}.s3.{region}.{suffix}"
    model["DomainName"] = model["RegionalDomainName"] if region.startswith("cn-") else f"{model['BucketName']}.s3.{suffix}"


_s3_bucket.S3BucketProvider._setup_post_creation_attributes = _bucket_names_as_aws
_origin_init = _moto_cloudfront.Origin.__init__


def _origin_in_either_partition(self, origin: dict) -> None:
    name = origin.get("DomainName") or ""
    if "S3OriginConfig" in origin and name.endswith(".amazonaws.com.cn"):
        _origin_init(self, {**origin, "DomainName": name[:-len(".cn")]})
        self.domain_name = name
    else:
        _origin_init(self, origin)


_moto_cloudfront.Origin.__init__ = _origin_in_either_partition


class _CloudFrontProvider(ResourceProvider):
    """A CloudFront resource served by moto in the emulator: deleted, as CloudFront wants,
    with its current ETag (`get_<KIND>` then `delete_<KIND>` on the boto3 client)."""

    KIND = ""  # distribution, origin_access_control, cloud_front_origin_access_identity

    def delete(self, request):
        cloudfront, ident = request.aws_client_factory.cloudfront, request.desired_state["Id"]
        etag = getattr(cloudfront, f"get_{self.KIND}")(Id=ident)["ETag"]
        getattr(cloudfront, f"delete_{self.KIND}")(Id=ident, IfMatch=etag)
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=request.desired_state)

    def read(self, request):
        raise NotImplementedError


class DistributionProvider(_CloudFrontProvider):
    TYPE = "AWS::CloudFront::Distribution"
    KIND = "distribution"
    SCHEMA = {
        "typeName": TYPE,
        "primaryIdentifier": ["/properties/Id"],
        "readOnlyProperties": ["/properties/Id", "/properties/DomainName"],
        "properties": {"Id": {"type": "string"}, "DomainName": {"type": "string"},
                       "DistributionConfig": {"type": "object"}, "Tags": {"type": "array"}},
    }

    def create(self, request):
        model = request.desired_state
        config = _distribution_config(model["DistributionConfig"],
                                      f"{request.stack_name}-{request.logical_resource_id}-{secrets.token_hex(4)}")
        cloudfront = request.aws_client_factory.cloudfront
        if model.get("Tags"):
            answer = cloudfront.create_distribution_with_tags(
                DistributionConfigWithTags={"DistributionConfig": config, "Tags": {"Items": model["Tags"]}})
        else:
            answer = cloudfront.create_distribution(DistributionConfig=config)
        model.update(Id=answer["Distribution"]["Id"], DomainName=answer["Distribution"]["DomainName"])
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)

    def update(self, request):
        model, ident = request.desired_state, request.previous_state["Id"]
        cloudfront = request.aws_client_factory.cloudfront
        current = cloudfront.get_distribution_config(Id=ident)
        config = _distribution_config(model["DistributionConfig"], current["DistributionConfig"]["CallerReference"])
        answer = cloudfront.update_distribution(Id=ident, IfMatch=current["ETag"], DistributionConfig=config)
        model.update(Id=ident, DomainName=answer["Distribution"]["DomainName"])
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)


class OriginAccessControlProvider(_CloudFrontProvider):
    TYPE = "AWS::CloudFront::OriginAccessControl"
    KIND = "origin_access_control"
    SCHEMA = {
        "typeName": TYPE,
        "primaryIdentifier": ["/properties/Id"],
        "readOnlyProperties": ["/properties/Id"],
        "properties": {"Id": {"type": "string"}, "OriginAccessControlConfig": {"type": "object"}},
    }

    def create(self, request):
        model = request.desired_state
        answer = request.aws_client_factory.cloudfront.create_origin_access_control(
            OriginAccessControlConfig=model["OriginAccessControlConfig"])
        model["Id"] = answer["OriginAccessControl"]["Id"]
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)

    def update(self, request):
        model, ident = request.desired_state, request.previous_state["Id"]
        cloudfront = request.aws_client_factory.cloudfront
        cloudfront.update_origin_access_control(Id=ident, IfMatch=cloudfront.get_origin_access_control(Id=ident)["ETag"],
                                                OriginAccessControlConfig=model["OriginAccessControlConfig"])
        model["Id"] = ident
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)


class OriginAccessIdentityProvider(_CloudFrontProvider):
    TYPE = "AWS::CloudFront::CloudFrontOriginAccessIdentity"
    KIND = "cloud_front_origin_access_identity"
    SCHEMA = {
        "typeName": TYPE,
        "primaryIdentifier": ["/properties/Id"],
        "readOnlyProperties": ["/properties/Id", "/properties/S3CanonicalUserId"],
        "properties": {"Id": {"type": "string"}, "S3CanonicalUserId": {"type": "string"},
                       "CloudFrontOriginAccessIdentityConfig": {"type": "object"}},
    }

    def create(self, request):
        model = request.desired_state
        config = {"CallerReference": f"{request.stack_name}-{request.logical_resource_id}-{secrets.token_hex(4)}",
                  **model["CloudFrontOriginAccessIdentityConfig"]}
        answer = request.aws_client_factory.cloudfront.create_cloud_front_origin_access_identity(
            CloudFrontOriginAccessIdentityConfig=config)["CloudFrontOriginAccessIdentity"]
        model.update(Id=answer["Id"], S3CanonicalUserId=answer["S3CanonicalUserId"])
        return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=model)

    def update(self, request):
        raise NotImplementedError("an origin access identity's comment cannot be changed here (no update in the emulator)")


_OWN_PROVIDERS = {DashboardProvider.TYPE: DashboardProvider, "AWS::Lambda::Alias": AliasProvider,
                  **{p.TYPE: p for p in (DistributionProvider, OriginAccessControlProvider, OriginAccessIdentityProvider)}}


def _try_load_resource_provider(resource_type: str):
    if isinstance(resource_type, str) and resource_type in _OWN_PROVIDERS:  # (a removed resource's is Nothing)
        return _OWN_PROVIDERS[resource_type]()
    return _load_provider(resource_type)


_resource_provider.ResourceProviderExecutor.try_load_resource_provider = staticmethod(_try_load_resource_provider)


# -- 7. Support means a provider exists ---------------------------------------------------
from localstack.services.cloudformation.engine.v2 import change_set_resource_support_checker as _support  # noqa: E402
from localstack.utils.catalog.common import CloudFormationResourcesSupportAtRuntime as _Support  # noqa: E402


def _support_status(self, resource_type: str):
    if _try_load_resource_provider(resource_type) is not None:
        return _Support.AVAILABLE
    return _Support.NOT_IMPLEMENTED


_support.ChangeSetResourceSupportChecker._resource_support_status = _support_status


# -- 8. A Ref to a resource updated in place does not change ------------------------------
from localstack.services.cloudformation.engine.v2 import change_set_model as _model  # noqa: E402

_resolve_ref = _model.ChangeSetModel._resolve_intrinsic_function_ref


def _ref_changes_only_on_replacement(self, arguments):
    change_type = _resolve_ref(self, arguments)
    if change_type == _model.ChangeType.MODIFIED and isinstance(arguments, _model.TerminalValue):
        name = arguments.value
        if (isinstance(name, str) and not name.startswith("AWS::")
                and not isinstance(self._retrieve_condition_if_exists(condition_name=name), _model.NodeCondition)
                and not isinstance(self._retrieve_parameter_if_exists(parameter_name=name), _model.NodeParameter)):
            resource = self._retrieve_or_visit_resource(resource_name=name)
            if not resource.requires_replacement:
                return _model.ChangeType.UNCHANGED
    return change_type


_model.ChangeSetModel._resolve_intrinsic_function_ref = _ref_changes_only_on_replacement


# -- 10. DeletionPolicy: Retain ----------------------------------------------------------
from localstack.aws.api.cloudformation import ChangeAction  # noqa: E402
from localstack.services.cloudformation.engine.v2 import change_set_model_executor as _executor  # noqa: E402

_execute_action = _executor.ChangeSetModelExecutor._execute_resource_action


def _keep_retained(self, action, logical_resource_id, resource_type, before_properties, after_properties,
                   part_of_replacement=False):
    if action == ChangeAction.Remove and not part_of_replacement:
        template = getattr(self._change_set.stack, "processed_template", None) or {}
        if ((template.get("Resources") or {}).get(logical_resource_id) or {}).get("DeletionPolicy") == "Retain":
            return ProgressEvent(status=OperationStatus.SUCCESS, resource_model=before_properties or {})
    return _execute_action(self, action, logical_resource_id, resource_type, before_properties, after_properties,
                           part_of_replacement)


_executor.ChangeSetModelExecutor._execute_resource_action = _keep_retained


def _end_with_parent(parent: int) -> None:
    """If the test process that started us dies without stopping us, stop too (our own
    process group: LocalStack and its function workers)."""
    import signal

    while True:
        time.sleep(2)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os.killpg(os.getpgrp(), signal.SIGKILL)


if __name__ == "__main__":
    from localstack.runtime import main as _main

    if os.environ.get("LEGWORK_PARENT_PID"):
        threading.Thread(target=_end_with_parent, args=(int(os.environ["LEGWORK_PARENT_PID"]),), daemon=True).start()

    sys.argv = sys.argv[:1]
    _main.main()
