"""API Gateway (REST), locally: the OpenAPI document of the template's Api, served over HTTP.

`ApiModel.from_stack` reads every `AWS::Serverless::Api` (inline `DefinitionBody` or a
`DefinitionUri` file): routes with path parameters, the operation → function mapping
from each `x-amazon-apigateway-integration` uri, request validators and schemas, Lambda
TOKEN/REQUEST authorizers from the security schemes, gateway responses and binary media
types. `Gateway.handle` answers one request as API Gateway would:

0. framing: a malformed request line or headers, a bad Content-Length, a body over 10 MB
   (413) are answered through the gateway responses too (JSON, CORS), never HTML;
1. route (literal paths before `{param}` before `{proxy+}`); no route, or a method the
   route does not declare (any token: TRACE, PROPFIND, `get` …) → 403 Missing Authentication Token;
2. CORS preflight (`OPTIONS`) answered from the route's methods and gateway response headers;
3. the authorizer (result cached per token for `authorizerResultTtlInSeconds`): no token
   or `Exception('Unauthorized')` → 401, a Deny or a policy not covering the method ARN → 403;
4. request validation (required parameters, body schema) → 400 before the function runs;
5. the v1 proxy event to the function, its response checked (malformed → 502), a
   timeout → 504, a crash → 502; errors rendered through the gateway responses.
"""
from __future__ import annotations

import base64
import copy
import json
import mimetypes
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

import jsonschema

from legwork import yamlcfn
from legwork.local.logs import log
from legwork.local.provision import Stack
from legwork.local.workers import Invocation, Lambda

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
ANY_METHODS = frozenset(m.upper() for m in HTTP_METHODS)
_INTEGRATION_ARN = re.compile(r"functions/(.+?)/invocations")
_PATH_PARAM = re.compile(r"\{([^}]+)\}")

# Default status and message of each gateway response type we can produce.
RESPONSE_TYPES = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "UNAUTHORIZED": (401, "Unauthorized"),
    "ACCESS_DENIED": (403, "User is not authorized to access this resource"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, None),
    "AUTHORIZER_FAILURE": (500, None),
    "BAD_REQUEST_BODY": (400, "Invalid request body"),
    "BAD_REQUEST_PARAMETERS": (400, "Missing required request parameters"),
    "INTEGRATION_FAILURE": (502, "Internal server error"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "API_CONFIGURATION_ERROR": (500, "Internal server error"),
    "DEFAULT_4XX": (400, "Bad Request"),
    "DEFAULT_5XX": (500, "Internal server error"),
}
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
IDLE_TIMEOUT = 60.0  # seconds an idle keep-alive connection (or a stalled body) is kept
# What the HTTP front door answers for a request it cannot even parse (no gateway
# response type covers these in AWS); rendered through DEFAULT_4XX/DEFAULT_5XX.
PROTOCOL_ERRORS = {
    400: "Bad Request",
    408: "Request Timeout",
    414: "Request-URI Too Long",
    431: "Request Header Fields Too Large",
    505: "HTTP Version Not Supported",
}


@dataclass
class Authorizer:
    """A Lambda authorizer from `x-amazon-apigateway-authorizer`."""

    name: str
    kind: str  # token | request
    function: str
    identity_sources: list[str]
    ttl: int
    validation: re.Pattern | None = None


@dataclass
class Route:
    method: str
    path: str
    regex: re.Pattern
    function: str | None
    operation: dict
    path_item: dict
    security: list
    validator: dict
    specificity: tuple


@dataclass
class ApiModel:
    """Everything the gateway needs from one or more OpenAPI documents."""

    routes: list[Route] = field(default_factory=list)
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    responses: dict[str, dict] = field(default_factory=dict)
    binary_types: list[str] = field(default_factory=list)
    components: dict = field(default_factory=dict)
    stage: str = "dev"
    api_id: str = "local"
    stage_variables: dict | None = None

    @classmethod
    def from_stack(cls, stack: Stack, lam: Lambda, root: Path) -> "ApiModel":
        model = cls()
        undocumented: dict[str, dict] = {}
        for lid, resource in stack.resources.items():
            if resource.get("Type") not in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
                continue
            if not stack.is_active(lid):
                continue
            props = resource.get("Properties") or {}
            body = props.get("DefinitionBody") or props.get("Body")
            uri = props.get("DefinitionUri") or props.get("BodyS3Location")
            if body is None and isinstance(uri, str):
                body = yamlcfn.load(root / uri)
            model.api_id = str(stack.name(lid))
            model.stage = str(stack.resolve(props.get("StageName", "dev")))
            model.stage_variables = stack.resolve(props.get("Variables")) or None
            if body is None:
                # SAM writes this API's document from the functions' Api events and its Auth.
                undocumented[model.api_id] = stack.resolve(props.get("Auth") or {})
                continue
            model._add_document(stack.resolve(body), lam, props)
        model._add_implicit_routes(lam, undocumented)
        model.routes.sort(key=lambda r: r.specificity)
        return model

    def _add_document(self, doc: dict, lam: Lambda, props: dict) -> None:
        components = doc.get("components") or {}
        for kind, items in components.items():
            self.components.setdefault(kind, {}).update(items or {})
        for name, schema in (doc.get("definitions") or {}).items():  # Swagger 2.0
            self.components.setdefault("schemas", {})[name] = schema
        schemes = {**(doc.get("securityDefinitions") or {}), **(components.get("securitySchemes") or {})}
        for name, scheme in schemes.items():
            authorizer = scheme.get("x-amazon-apigateway-authorizer")
            if not authorizer:
                continue
            match = _INTEGRATION_ARN.search(str(authorizer.get("authorizerUri", "")))
            function = lam.logical_id(match.group(1)) if match else None
            if function is None:
                log("api", f"authorizer {name}: its authorizerUri names no local function; requests using it get 500")
            kind = str(authorizer.get("type", "token")).lower()
            sources = [s.strip() for s in str(authorizer.get("identitySource", "")).split(",") if s.strip()]
            validation = authorizer.get("identityValidationExpression")
            self.authorizers[name] = Authorizer(
                name=name,
                kind=kind,
                function=function or "",
                identity_sources=sources or ["method.request.header.Authorization"],
                ttl=int(authorizer.get("authorizerResultTtlInSeconds", 300)),
                validation=re.compile(validation) if validation else None,
            )
        self.responses.update(doc.get("x-amazon-apigateway-gateway-responses") or {})
        binary = list(doc.get("x-amazon-apigateway-binary-media-types") or [])
        binary += [t.replace("~1", "/") for t in props.get("BinaryMediaTypes") or []]
        self.binary_types.extend(binary)
        validators = doc.get("x-amazon-apigateway-request-validators") or {}
        default_validator = doc.get("x-amazon-apigateway-request-validator")
        root_security = doc.get("security") or []
        for path, item in (doc.get("paths") or {}).items():
            for method, operation in item.items():
                if method.lower() not in HTTP_METHODS and method != "x-amazon-apigateway-any-method":
                    continue
                integration = operation.get("x-amazon-apigateway-integration") or {}
                function = None
                if integration.get("type", "").lower() == "aws_proxy":
                    match = _INTEGRATION_ARN.search(str(integration.get("uri", "")))
                    function = lam.logical_id(match.group(1)) if match else None
                    if function is None:
                        log("api", f"{method.upper()} {path}: integration uri names no local function")
                validator_name = operation.get("x-amazon-apigateway-request-validator", default_validator)
                verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
                self.routes.append(_route(
                    verb, path, function, operation, item,
                    operation["security"] if "security" in operation else root_security,
                    validators.get(validator_name, {}) if validator_name else {},
                ))

    def _add_implicit_routes(self, lam: Lambda, undocumented: dict[str, dict]) -> None:
        """Routes of Api events whose API has no document (SAM's implicit API, or an Api
        without DefinitionBody): SAM's `Auth` (Authorizers, DefaultAuthorizer, per-event
        `Auth.Authorizer`, NONE) decides the authorizer; no request validation."""
        known = {(r.method, r.path) for r in self.routes}
        for api_id, auth in undocumented.items():
            for name, config in (auth.get("Authorizers") or {}).items():
                self._add_sam_authorizer(name, config, lam)
        for lid, spec in lam.specs.items():
            for event in spec.events.values():
                if event.get("Type") != "Api":
                    continue
                props = event.get("Properties") or {}
                api_id = props.get("RestApiId")
                if api_id is not None and str(api_id) not in undocumented:
                    continue  # described by its API's document
                method = str(props.get("Method", "any")).upper()
                path = str(props.get("Path", "/"))
                if (method, path) in known:
                    continue
                auth = undocumented.get(str(api_id), {}) if api_id is not None else {}
                chosen = (props.get("Auth") or {}).get("Authorizer", auth.get("DefaultAuthorizer"))
                security = [{chosen: []}] if chosen and chosen not in ("NONE", "AWS_IAM") else []
                self.routes.append(_route(method, path, lid, {}, {}, security, {}))

    def _add_sam_authorizer(self, name: str, config: dict, lam: Lambda) -> None:
        arn = config.get("FunctionArn")
        if not arn:
            log("api", f"authorizer {name}: only Lambda authorizers (FunctionArn) run locally")
            return
        identity = config.get("Identity") or {}
        kind = str(config.get("FunctionPayloadType", "TOKEN")).lower()
        if kind == "token":
            sources = [f"method.request.header.{identity.get('Header', 'Authorization')}"]
        else:
            sources = [f"method.request.header.{h}" for h in identity.get("Headers") or []]
            sources += [f"method.request.querystring.{q}" for q in identity.get("QueryStrings") or []]
        validation = identity.get("ValidationExpression")
        self.authorizers[name] = Authorizer(
            name=name,
            kind=kind,
            function=lam.logical_id(str(arn)) or "",
            identity_sources=sources,
            ttl=int(identity.get("ReauthorizeEvery", 300)),
            validation=re.compile(validation) if validation else None,
        )


def _route(method, path, function, operation, path_item, security, validator) -> Route:
    pattern = ""
    params = 0
    greedy = False
    for piece in re.split(r"(\{[^}]+\})", path):
        match = _PATH_PARAM.fullmatch(piece)
        if not match:
            pattern += re.escape(piece)
            continue
        name = match.group(1)
        params += 1
        if name.endswith("+"):
            greedy = True
            pattern += f"(?P<{_group(name[:-1])}>.+)"
        else:
            pattern += f"(?P<{_group(name)}>[^/]+)"
    specificity = (greedy, params, -len(path), method == "ANY")
    return Route(method, path, re.compile(f"^{pattern}/?$" if path != "/" else "^/$"), function,
                 operation, path_item, security, validator, specificity)


def _group(name: str) -> str:
    return "p_" + re.sub(r"\W", "_", name) + "_" + str(abs(hash(name)) % 10000)


@dataclass
class HttpRequest:
    method: str
    raw_path: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class GatewayError(Exception):
    """A gateway response (API Gateway's own answer, not the function's)."""

    def __init__(self, response_type: str, message: str | None = None, status: int | None = None,
                 validation: str = "") -> None:
        default_status, default_message = RESPONSE_TYPES[response_type]
        super().__init__(message or default_message)
        self.response_type = response_type
        self.message = message if message is not None else default_message
        self.status = status or default_status
        self.validation = validation


class Gateway:
    """Answers HTTP requests as API Gateway would, invoking functions through `Lambda`."""

    def __init__(
        self,
        model: ApiModel,
        lam: Lambda,
        *,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        partition: str = "aws",
        local_invoke: Callable[[str, Any], Invocation] | None = None,
        access_log: bool = True,
        static_dir: Path | None = None,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        self.ready = ready or (lambda: True)
        self.static_dir = static_dir.resolve() if static_dir else None
        self.model = model
        self.lam = lam
        self.region = region
        self.account_id = account_id
        self.partition = partition
        self.local_invoke = local_invoke
        self.access_log = access_log
        self._cache: dict[tuple[str, int, str], tuple[float, dict]] = {}
        self._cache_lock = threading.Lock()
        self._schemas: dict[int, Any] = {}

    # -- the request pipeline -----------------------------------------------------------
    def handle(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        try:
            response = self._handle(request, request_id)
        except GatewayError as error:
            response = self._gateway_response(error, request, request_id)
        if self.access_log and not request.raw_path.startswith("/__legwork/"):
            took = (time.monotonic() - started) * 1000
            log("api", f"{request.method} {request.raw_path} {response.status} {took:.1f} ms")
        return response

    def _handle(self, request: HttpRequest, request_id: str) -> HttpResponse:
        parts = urlsplit(request.raw_path)
        path = parts.path or "/"
        if path.startswith("/__legwork/"):
            return self._local(request, path)
        if len(request.body) > MAX_BODY:
            raise GatewayError("REQUEST_TOO_LARGE")
        candidates = self._match(path)
        prefix = f"/{self.model.stage}/"
        if not candidates and path.startswith(prefix):
            # The deployed URL carries the stage (https://…/dev/health); accept it locally too.
            path = path[len(prefix) - 1:]
            candidates = self._match(path)
        if not candidates:
            static = self._static(request, parts.path or "/")
            if static is not None:
                return static
            raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
        if request.method == "OPTIONS" and not any(r.method == "OPTIONS" for r, _ in candidates):
            resource = candidates[0][0].path  # the most specific resource answers the preflight
            return self._preflight(request, [c for c in candidates if c[0].path == resource])
        # ANY covers the seven methods API Gateway knows; any other token (TRACE, PROPFIND,
        # a lower-case `get` …) is an undeclared method: 403, as in AWS.
        any_ok = request.method in ANY_METHODS
        found = next(((r, m) for r, m in candidates
                      if r.method == request.method or (any_ok and r.method == "ANY")), None)
        if found is None:
            raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
        route, match = found
        path_params = _path_params(route, match)
        authorizer_context = self._authorize(route, request, path)
        self._validate(route, request, parts.query)
        integration = route.operation.get("x-amazon-apigateway-integration") or {}
        if str(integration.get("type", "")).lower() == "mock":
            return _mock_response(integration, request)
        if route.function is None:
            raise GatewayError("API_CONFIGURATION_ERROR")
        event = self._event(request, route, path, parts.query, path_params, authorizer_context, request_id)
        invocation = self.lam.invoke(route.function, event, timeout=29.0)
        return self._proxy_response(invocation, route)

    # -- static files (a web client served beside the API, local only) -----------------
    def _static(self, request: HttpRequest, path: str) -> HttpResponse | None:
        if self.static_dir is None or request.method not in ("GET", "HEAD"):
            return None
        relative = unquote(path).lstrip("/") or "index.html"
        target = (self.static_dir / relative).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(self.static_dir) or not target.is_file():
            return None
        media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        # Revalidated on every load, so an edit shows on the next reload.
        return HttpResponse(200, [("Content-Type", media), ("Cache-Control", "no-cache")], target.read_bytes())

    # -- routing helpers ----------------------------------------------------------------
    def _match(self, path: str) -> list[tuple[Route, re.Match]]:
        return [(route, match) for route in self.model.routes if (match := route.regex.match(path))]

    def _preflight(self, request: HttpRequest, candidates: list) -> HttpResponse:
        methods = sorted({r.method for r, _ in candidates} | {"OPTIONS"})
        if "ANY" in methods:
            methods = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
        headers = dict(self._cors_defaults(request))
        headers.setdefault("Access-Control-Allow-Origin", "*")
        headers.setdefault(
            "Access-Control-Allow-Headers",
            request.header("Access-Control-Request-Headers") or "Authorization,Content-Type",
        )
        headers["Access-Control-Allow-Methods"] = ",".join(methods)
        headers.setdefault("Access-Control-Max-Age", "600")
        headers["Content-Type"] = "application/json"
        return HttpResponse(200, list(headers.items()), b"{}")

    def _cors_defaults(self, request: HttpRequest) -> list[tuple[str, str]]:
        config = self.model.responses.get("DEFAULT_4XX") or {}
        return [(k, v) for k, v in _response_headers(config, request) if k.lower().startswith("access-control-")]

    # -- authorizer ---------------------------------------------------------------------
    def method_arn(self, method: str, path: str) -> str:
        return (
            f"arn:{self.partition}:execute-api:{self.region}:{self.account_id}:"
            f"{self.model.api_id}/{self.model.stage}/{method}/{path.lstrip('/')}"
        )

    def _authorize(self, route: Route, request: HttpRequest, path: str) -> dict | None:
        names = [name for requirement in route.security for name in requirement]
        authorizer = next((self.model.authorizers[n] for n in names if n in self.model.authorizers), None)
        if authorizer is None:
            return None
        identity = [self._identity(source, request) for source in authorizer.identity_sources]
        if any(not value for value in identity):
            raise GatewayError("UNAUTHORIZED")
        if authorizer.validation and identity and not authorizer.validation.fullmatch(identity[0]):
            raise GatewayError("UNAUTHORIZED")
        method_arn = self.method_arn(request.method, path)
        # An edited authorizer is a new deployment: its cached decisions no longer hold.
        version = self.lam.code_version(authorizer.function) if authorizer.function else 0
        key = (authorizer.name, version, "\x00".join(identity))
        cached = None
        if authorizer.ttl > 0:
            with self._cache_lock:
                entry = self._cache.get(key)
                if entry and entry[0] > time.monotonic():
                    cached = entry[1]
        started = time.monotonic()
        if cached is None:
            cached = self._run_authorizer(authorizer, request, identity, method_arn, path)
            if authorizer.ttl > 0 and identity:  # no identity sources: API Gateway does not cache
                with self._cache_lock:
                    self._cache[key] = (time.monotonic() + authorizer.ttl, cached)
        effect = _policy_effect(cached.get("policyDocument") or {}, method_arn)
        if effect == "Deny":
            raise GatewayError("ACCESS_DENIED", "User is not authorized to access this resource with an explicit deny")
        if effect != "Allow":
            raise GatewayError("ACCESS_DENIED")
        context = {k: _context_text(v) for k, v in (cached.get("context") or {}).items()}
        context["principalId"] = str(cached.get("principalId", ""))
        context["integrationLatency"] = int((time.monotonic() - started) * 1000)
        return context

    def _identity(self, source: str, request: HttpRequest) -> str | None:
        if source.startswith("method.request.header."):
            return request.header(source[len("method.request.header."):])
        if source.startswith("method.request.querystring."):
            name = source[len("method.request.querystring."):]
            return dict(parse_qsl(urlsplit(request.raw_path).query)).get(name)
        return None

    def _run_authorizer(self, authorizer: Authorizer, request: HttpRequest, identity: list[str],
                        method_arn: str, path: str) -> dict:
        if not authorizer.function:
            raise GatewayError("AUTHORIZER_CONFIGURATION_ERROR")
        if authorizer.kind == "token":
            event: dict = {"type": "TOKEN", "authorizationToken": identity[0], "methodArn": method_arn}
        else:
            parts = urlsplit(request.raw_path)
            single, multi = _query(parts.query)
            headers, multi_headers = _headers(request.headers)
            event = {
                "type": "REQUEST", "methodArn": method_arn, "resource": path, "path": path,
                "httpMethod": request.method, "headers": headers, "multiValueHeaders": multi_headers,
                "queryStringParameters": single, "multiValueQueryStringParameters": multi,
                "pathParameters": {}, "stageVariables": self.model.stage_variables,
                "requestContext": {"path": path, "stage": self.model.stage, "httpMethod": request.method,
                                   "apiId": self.model.api_id, "accountId": self.account_id},
            }
        invocation = self.lam.invoke(authorizer.function, event)
        if invocation.kind == "error" and invocation.error_message == "Unauthorized":
            raise GatewayError("UNAUTHORIZED")
        if not invocation.ok:
            raise GatewayError("AUTHORIZER_CONFIGURATION_ERROR")
        result = invocation.result
        if (
            not isinstance(result, dict)
            or "principalId" not in result
            or not isinstance(result.get("policyDocument"), dict)
            or any(isinstance(v, (dict, list)) for v in (result.get("context") or {}).values())
        ):
            log("api", f"authorizer {authorizer.name}: invalid result (needs principalId, policyDocument and a "
                       f"flat context): {str(result)[:200]}")
            raise GatewayError("AUTHORIZER_CONFIGURATION_ERROR")
        return result

    # -- validation ---------------------------------------------------------------------
    def _validate(self, route: Route, request: HttpRequest, query: str) -> None:
        if route.validator.get("validateRequestParameters"):
            missing = []
            single, _ = _query(query)
            params = list(route.path_item.get("parameters") or []) + list(route.operation.get("parameters") or [])
            for param in params:
                param = self._deref(param)
                if not param.get("required"):
                    continue
                where, name = param.get("in"), param.get("name")
                if where == "query" and not (single or {}).get(name) and name not in (single or {}):
                    missing.append(name)
                elif where == "header" and request.header(name) is None:
                    missing.append(name)
            if missing:
                raise GatewayError("BAD_REQUEST_PARAMETERS",
                                   f"Missing required request parameters: [{', '.join(missing)}]")
        body_spec = route.operation.get("requestBody")
        if not route.validator.get("validateRequestBody") or not body_spec:
            return
        body_spec = self._deref(body_spec)
        content = body_spec.get("content") or {}
        media = (request.header("Content-Type") or "application/json").split(";")[0].strip().lower()
        spec = content.get(media) or content.get("application/json")
        if not spec or "schema" not in spec:
            return
        if not request.body.strip():
            if not body_spec.get("required"):
                return
            raise GatewayError("BAD_REQUEST_BODY", validation="[Request body is required]")
        try:
            document = json.loads(request.body)
        except ValueError as exc:
            raise GatewayError("BAD_REQUEST_BODY", validation=f"[Invalid JSON in request body: {exc}]") from None
        validator = self._validator(spec["schema"])
        problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        if problems:
            for problem in problems[:10]:  # where, for the developer; API Gateway does not say
                where = "/" + "/".join(str(p) for p in problem.absolute_path)
                log("api", f"{request.method} {route.path}: invalid body at {where}: {problem.message}")
            raise GatewayError("BAD_REQUEST_BODY", validation=validation_error_string(problems))

    def _deref(self, node: Any, depth: int = 0) -> Any:
        """`node` with local `$ref`s to the document's components replaced by their target."""
        if depth > 32:
            return {}
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                target: Any = {"components": self.model.components, "definitions": self.model.components.get("schemas", {})}
                for piece in ref[2:].split("/"):
                    target = (target or {}).get(piece.replace("~1", "/").replace("~0", "~"))
                if target is None:
                    raise GatewayError("API_CONFIGURATION_ERROR", f"Unresolvable $ref {ref}")
                return self._deref(target, depth + 1)
            return {k: self._deref(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [self._deref(v, depth + 1) for v in node]
        return node

    def _validator(self, schema: dict) -> jsonschema.Draft4Validator:
        key = id(schema)
        if key not in self._schemas:
            # API Gateway validates with JSON Schema draft 4; OpenAPI's `nullable` is not part of it.
            self._schemas[key] = (schema, jsonschema.Draft4Validator(self._deref(copy.deepcopy(schema))))
        return self._schemas[key][1]

    # -- the proxy event and response ---------------------------------------------------
    def _event(self, request: HttpRequest, route: Route, path: str, query: str, path_params: dict,
               authorizer: dict | None, request_id: str) -> dict:
        headers, multi_headers = _headers(request.headers)
        single, multi = _query(query)
        media = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        body: str | None = None
        is_base64 = False
        if request.body:
            if self._is_binary(media):
                body, is_base64 = base64.b64encode(request.body).decode(), True
            else:
                try:
                    body = request.body.decode("utf-8")
                except UnicodeDecodeError:
                    body, is_base64 = base64.b64encode(request.body).decode(), True
        now = datetime.now(UTC)
        context: dict[str, Any] = {
            "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, route.path).hex[:6],
            "resourcePath": route.path,
            "httpMethod": request.method,
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{self.model.stage}{path}",
            "accountId": self.account_id,
            "protocol": "HTTP/1.1",
            "stage": self.model.stage,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None, "caller": None,
                "sourceIp": request.source_ip, "principalOrgId": None, "accessKey": None,
                "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None, "userArn": None,
                "userAgent": request.header("User-Agent"), "user": None,
            },
            "domainName": request.header("Host") or "localhost",
            "apiId": self.model.api_id,
        }
        if authorizer is not None:
            context["authorizer"] = authorizer
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": single,
            "multiValueQueryStringParameters": multi,
            "pathParameters": path_params or None,
            "stageVariables": self.model.stage_variables,
            "requestContext": context,
            "body": body,
            "isBase64Encoded": is_base64,
        }

    def _is_binary(self, media: str) -> bool:
        for pattern in self.model.binary_types:
            if pattern == "*/*" or pattern == media:
                return True
            if pattern.endswith("/*") and media.startswith(pattern[:-1]):
                return True
        return False

    def _proxy_response(self, invocation: Invocation, route: Route) -> HttpResponse:
        if invocation.kind == "timeout":
            raise GatewayError("INTEGRATION_TIMEOUT")
        if not invocation.ok:
            raise GatewayError("INTEGRATION_FAILURE", status=502)
        result = invocation.result
        problem = _malformed(result)
        if problem:
            log("api", f"{route.method} {route.path}: Malformed Lambda proxy response ({problem})")
            raise GatewayError("INTEGRATION_FAILURE", status=502)
        headers: list[tuple[str, str]] = []
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((key, _context_text(v)) for v in values)
        for key, value in (result.get("headers") or {}).items():
            headers = [(k, v) for k, v in headers if k.lower() != key.lower()] + [(key, _context_text(value))]
        body = result.get("body")
        if body is None:
            raw = b""
        elif result.get("isBase64Encoded"):
            try:
                raw = base64.b64decode(body)
            except ValueError:
                log("api", f"{route.method} {route.path}: isBase64Encoded body is not base64")
                raise GatewayError("INTEGRATION_FAILURE", status=502) from None
        else:
            raw = body.encode("utf-8")
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
        return HttpResponse(int(result["statusCode"]), headers, raw)

    def _gateway_response(self, error: GatewayError, request: HttpRequest, request_id: str) -> HttpResponse:
        family = "DEFAULT_4XX" if error.status < 500 else "DEFAULT_5XX"
        config = self.model.responses.get(error.response_type) or self.model.responses.get(family) or {}
        status = int(config.get("statusCode", error.status))
        templates = config.get("responseTemplates") or {}
        template = templates.get("application/json") or '{"message":$context.error.messageString}'
        values = {
            "context.error.messageString": json.dumps(error.message),
            "context.error.message": "" if error.message is None else str(error.message),
            "context.error.responseType": error.response_type,
            "context.error.validationErrorString": error.validation,
            "context.requestId": request_id,
            "context.extendedRequestId": request_id,
            "context.stage": self.model.stage,
        }

        def render(match: re.Match) -> str:
            name = match.group(1) or match.group(2)
            return values.get(name, "")

        # Simple substitution of $context variables only: API Gateway does not run VTL on
        # gateway responses, so `$util.…(…)` stays as written (as it would in AWS).
        body = re.sub(r"\$\{(context\.[a-zA-Z.]+)\}|\$(context\.[a-zA-Z.]*[a-zA-Z])", render, template)
        headers = _response_headers(config, request)
        headers.append(("Content-Type", "application/json"))
        headers.append(("x-amzn-ErrorType", _error_type(error.response_type)))
        return HttpResponse(status, headers, body.encode("utf-8"))

    def refusal(self, status: int, message: str | None, request: HttpRequest) -> HttpResponse:
        """The answer to a request refused before routing (malformed, too large, timed out),
        rendered through the API's gateway responses so that it is JSON with CORS headers."""
        if status == 413:
            error = GatewayError("REQUEST_TOO_LARGE", message)
        else:
            family = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
            error = GatewayError(family, message or PROTOCOL_ERRORS.get(status) or "Bad Request", status=status)
        response = self._gateway_response(error, request, str(uuid.uuid4()))
        if self.access_log:
            log("api", f"{request.method or '-'} {request.raw_path[:200] or '-'} {response.status} (refused: {error.message})")
        return response

    # -- local-only endpoints -----------------------------------------------------------
    def _local(self, request: HttpRequest, path: str) -> HttpResponse:
        match = re.fullmatch(r"/__legwork/invoke/([^/]+)", path)
        if request.method == "GET" and path == "/__legwork/health":
            return _json_response(200, {"status": "ok"})
        if request.method in ("GET", "HEAD") and path == "/__legwork/ready":
            if self.ready():
                return _json_response(200, {"status": "ready"})
            return _json_response(503, {"status": "starting", "message": "The API answers; demo data is being written."})
        if not match or request.method != "POST" or self.local_invoke is None:
            return _json_response(404, {"error": {"code": "NOT_FOUND", "message":
                                                  "Local endpoints: GET /__legwork/ready, GET /__legwork/health, "
                                                  "POST /__legwork/invoke/{Function}"}})
        function = self.lam.logical_id(unquote(match.group(1)))
        if function is None:
            return _json_response(404, {"error": {"code": "NOT_FOUND", "message":
                                                  f"No function {match.group(1)!r}; known: {', '.join(self.lam.specs)}"}})
        try:
            event = json.loads(request.body) if request.body.strip() else None
        except ValueError as exc:
            return _json_response(400, {"error": {"code": "BAD_REQUEST", "message": f"The event is not JSON: {exc}"}})
        invocation = self.local_invoke(function, event)
        if invocation.ok:
            return _json_response(200, invocation.result)
        response = _json_response(200, {"errorType": invocation.error_type, "errorMessage": invocation.error_message})
        response.headers.append(("X-Amz-Function-Error", "Unhandled"))
        return response

    # -- HTTP server --------------------------------------------------------------------
    def serve(self, host: str = "127.0.0.1", port: int = 3000) -> ThreadingHTTPServer:
        """An HTTP server answering through this gateway (call `serve_forever` on it)."""
        return ApiServer((host, port), _handler_class(self))


class ApiServer(ThreadingHTTPServer):
    """`http.server`, sized for bursts of new connections.

    The standard library listens with a backlog of 5: a burst of concurrent connects
    overflows the accept queue and clients see `Connection reset by peer`. 1024 (the
    kernel caps it at `net.core.somaxconn`, 4096 on current Linux) holds a burst of
    hundreds while the accept loop catches up. One thread per connection: a thread
    mostly waits for a Lambda worker, and a bounded pool would let idle keep-alive
    connections (a browser holds six) starve new ones.
    """

    request_queue_size = 1024
    daemon_threads = True


def _mock_response(integration: dict, request: HttpRequest) -> HttpResponse:
    """A `mock` integration (e.g. a CORS preflight): its default integration response."""
    responses = integration.get("responses") or {}
    chosen = responses.get("default") or next(iter(responses.values()), {})
    headers = []
    for key, value in (chosen.get("responseParameters") or {}).items():
        if not key.startswith("method.response.header."):
            continue
        name, value = key[len("method.response.header."):], str(value)
        if value.startswith("'") and value.endswith("'"):
            headers.append((name, value[1:-1]))
        elif value.startswith("method.request.header."):
            found = request.header(value[len("method.request.header."):])
            if found is not None:
                headers.append((name, found))
    templates = chosen.get("responseTemplates") or {}
    body = str(templates.get("application/json") or next(iter(templates.values()), "") or "")
    headers.append(("Content-Type", "application/json"))
    return HttpResponse(int(chosen.get("statusCode", 200)), headers, body.encode())


def validation_error_string(problems: list) -> str:
    """`$context.error.validationErrorString` as API Gateway writes it: its validator's
    messages (double quotes included, no location), in brackets."""
    rendered: list[str] = []
    required_at: dict[tuple, int] = {}
    missing: dict[tuple, list[str]] = {}
    for error in problems:
        if error.validator == "required":
            at = tuple(error.absolute_path)
            found = re.match(r"'(.*)' is a required property", error.message)
            missing.setdefault(at, []).append(found.group(1) if found else error.message)
            if at not in required_at:
                required_at[at] = len(rendered)
                rendered.append("")
            continue
        rendered.append(_aws_message(error))
    for at, index in required_at.items():
        names = ",".join(json.dumps(name) for name in missing[at])
        rendered[index] = f"object has missing required properties ([{names}])"
    return "[" + ", ".join(rendered) + "]"


def _aws_message(error) -> str:
    value, expected = error.instance, error.validator_value
    kind = error.validator
    if kind == "additionalProperties":
        extra = sorted(set(value) - set(error.schema.get("properties", {}))) if isinstance(value, dict) else []
        return f"object instance has properties which are not allowed by the schema: {json.dumps(extra, separators=(',', ':'))}"
    if kind == "enum":
        return (f"instance value ({json.dumps(value)}) not found in enum "
                f"(possible values: {json.dumps(expected, separators=(',', ':'))})")
    if kind == "type":
        allowed = expected if isinstance(expected, list) else [expected]
        return (f"instance type ({_json_type(value)}) does not match any allowed primitive type "
                f"(allowed: {json.dumps(allowed, separators=(',', ':'))})")
    if kind == "maxLength":
        return f"string {json.dumps(value)} is too long (length: {len(value)}, maximum allowed: {expected})"
    if kind == "minLength":
        return f"string {json.dumps(value)} is too short (length: {len(value)}, required minimum: {expected})"
    if kind == "maximum":
        return f"numeric instance is greater than the required maximum (maximum: {expected}, found: {value})"
    if kind == "minimum":
        return f"numeric instance is lower than the required minimum (minimum: {expected}, found: {value})"
    if kind == "pattern":
        return f"ECMA 262 regex {json.dumps(expected)} does not match input string {json.dumps(value)}"
    if kind == "maxItems":
        return f"array is too long: must have at most {expected} elements but instance has {len(value)} elements"
    if kind == "minItems":
        return f"array is too short: must have at least {expected} elements but instance has {len(value)} elements"
    return error.message


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _path_params(route: Route, match: re.Match) -> dict[str, str]:
    params = {}
    for name in _PATH_PARAM.findall(route.path):
        key = name[:-1] if name.endswith("+") else name
        params[key] = unquote(match.group(_group(key)))
    return params


def _headers(pairs: list[tuple[str, str]]) -> tuple[dict | None, dict | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


def _query(query: str) -> tuple[dict | None, dict | None]:
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


def _policy_effect(policy: dict, method_arn: str) -> str | None:
    """Deny if any matching statement denies, Allow if one allows, None if none matches."""
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    effect = None
    for statement in statements:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("*", "execute-api:*", "execute-api:Invoke") for a in actions):
            continue
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if not any(_arn_matches(r, method_arn) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return "Deny"
        if statement.get("Effect") == "Allow":
            effect = "Allow"
    return effect


def _arn_matches(pattern: str, arn: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, arn) is not None


def _context_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _malformed(result: Any) -> str | None:
    if not isinstance(result, dict):
        return f"expected an object, got {type(result).__name__}"
    status = result.get("statusCode")
    if isinstance(status, bool) or not (isinstance(status, int) or (isinstance(status, str) and status.isdigit())):
        return "statusCode must be an integer"
    if not 100 <= int(status) <= 599:
        return "statusCode out of range"
    headers = result.get("headers")
    if headers is not None and (not isinstance(headers, dict) or any(isinstance(v, (dict, list)) for v in headers.values())):
        return "headers must map names to strings"
    multi = result.get("multiValueHeaders")
    if multi is not None and (not isinstance(multi, dict) or any(not isinstance(v, list) for v in multi.values())):
        return "multiValueHeaders must map names to lists of strings"
    if result.get("body") is not None and not isinstance(result["body"], str):
        return "body must be a string"
    if not isinstance(result.get("isBase64Encoded", False), bool):
        return "isBase64Encoded must be a boolean"
    return None


def _response_headers(config: dict, request: HttpRequest) -> list[tuple[str, str]]:
    headers = []
    for key, value in (config.get("responseParameters") or {}).items():
        if not key.startswith("gatewayresponse.header."):
            continue
        name = key[len("gatewayresponse.header."):]
        value = str(value)
        if value.startswith("'") and value.endswith("'"):
            headers.append((name, value[1:-1]))
        elif value.startswith("method.request.header."):
            found = request.header(value[len("method.request.header."):])
            if found is not None:
                headers.append((name, found))
    return headers


def _error_type(response_type: str) -> str:
    return {
        "MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
        "UNAUTHORIZED": "UnauthorizedException",
        "ACCESS_DENIED": "AccessDeniedException",
        "BAD_REQUEST_BODY": "BadRequestException",
        "BAD_REQUEST_PARAMETERS": "BadRequestException",
        "AUTHORIZER_CONFIGURATION_ERROR": "AuthorizerConfigurationException",
        "INTEGRATION_FAILURE": "InternalServerErrorException",
        "INTEGRATION_TIMEOUT": "InternalServerErrorException",
        "REQUEST_TOO_LARGE": "RequestTooLargeException",
        "DEFAULT_4XX": "BadRequestException",
    }.get(response_type, "InternalServerErrorException")


def _json_response(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], json.dumps(body).encode())


def _handler_class(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """One connection. Every request gets a JSON answer, whatever its method or shape:
        any method token reaches the gateway (which refuses an undeclared one with 403
        Missing Authentication Token), and http.server's own refusals (a malformed request
        line, over-long headers) are rendered as gateway responses instead of its HTML page."""

        protocol_version = "HTTP/1.1"
        server_version = "legwork-local"
        timeout = IDLE_TIMEOUT  # seconds a connection may sit idle, or a body may stall

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def __getattr__(self, name: str) -> Any:
            # http.server looks up `do_<METHOD>` and answers 501 (HTML) when it is missing:
            # every method, declared or not, goes to the gateway instead.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def _serve(self) -> None:
            if self.request_version == "HTTP/0.9":
                self._refuse(400, "Bad Request: HTTP/0.9 is not supported; send HTTP/1.1")
                return
            try:
                body = self._read_body()
            except _Refused as refused:
                self._refuse(refused.status, refused.message, refused.drain)
                return
            except TimeoutError:
                self._refuse(408, "Request Timeout: the request body did not arrive in time")
                return
            request = HttpRequest(self.command, self.path, list(self.headers.items()), body, self.client_address[0])
            try:
                response = gateway.handle(request)
            except Exception as exc:  # a bug in the runtime itself: say so, keep serving
                log("api", f"runtime error on {self.command} {self.path}: {exc!r}")
                response = _json_response(500, {"message": f"legwork local runtime error: {exc}"})
            self._write(response)

        def _content_length(self) -> int | None:
            values = self.headers.get_all("Content-Length") or []
            if not values:
                return None
            if len(set(v.strip() for v in values)) > 1:
                raise _Refused(400, "Bad Request: conflicting Content-Length headers")
            text = values[0].strip()
            if not text.isdigit():
                raise _Refused(400, f"Bad Request: Content-Length must be a number of bytes, not {text!r}")
            return int(text)

        def _read_body(self) -> bytes:
            encoding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
            if encoding:
                if encoding.split(",")[-1].strip() != "chunked":
                    raise _Refused(400, f"Bad Request: unsupported Transfer-Encoding {encoding!r}")
                return self._read_chunked()
            length = self._content_length() or 0
            if length > MAX_BODY:
                raise _Refused(413, None, drain=length)
            body = self.rfile.read(length) if length else b""
            if len(body) < length:
                raise _Refused(400, f"Bad Request: the body ended after {len(body)} of {length} bytes")
            return body

        def _read_chunked(self) -> bytes:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise _Refused(400, "Bad Request: malformed chunked body") from None
                if size < 0:
                    raise _Refused(400, "Bad Request: malformed chunked body")
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise _Refused(413, None, drain=4 * MAX_BODY)
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise _Refused(400, "Bad Request: the chunked body ended early")
                chunks.append(chunk)
                self.rfile.readline(1024)

        def handle_expect_100(self) -> bool:
            # Refuse an over-large body before the client sends it, as API Gateway does.
            try:
                length = self._content_length()
            except _Refused as refused:
                self._refuse(refused.status, refused.message)
                return False
            if length is not None and length > MAX_BODY:
                self._refuse(413, None)
                return False
            return super().handle_expect_100()

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            # http.server's own refusals: bad request line, bad version, headers too long.
            self._refuse(code, explain if code == 431 and explain else message)

        def _refuse(self, status: int, message: str | None, drain: int = 0) -> None:
            request = HttpRequest(getattr(self, "command", "") or "", getattr(self, "path", "") or "", [], b"")
            response = gateway.refusal(status, message, request)
            if self.request_version == "HTTP/0.9":
                # Refused before its version was read (or a bare HTTP/0.9 line): answer with
                # a status line and headers all the same, never a bare body.
                self.request_version = "HTTP/1.0"
            self.close_connection = True
            response.headers.append(("Connection", "close"))
            self._write(response)
            if drain:
                self._drain(drain)

        def _drain(self, length: int) -> None:
            # Read (and drop) what the client is still sending, briefly, so that closing the
            # socket does not reset the connection before the client has read our answer.
            try:
                self.connection.settimeout(2.0)
                remaining = min(length, 4 * MAX_BODY)
                while remaining > 0:
                    chunk = self.rfile.read1(min(remaining, 1 << 16))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            except OSError:
                pass

        def _write(self, response: HttpResponse) -> None:
            self.send_response(response.status)
            for key, value in response.headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.body)))
            # Status, headers and body in one write: two small writes on a keep-alive
            # connection meet the client's delayed ACK (about 40 ms per request).
            self._headers_buffer.append(b"\r\n")
            if self.command != "HEAD":
                self._headers_buffer.append(response.body)
            self.wfile.write(b"".join(self._headers_buffer))
            self._headers_buffer = []

        def log_message(self, format: str, *args: Any) -> None:  # the gateway logs its own line
            pass

    return Handler


class _Refused(Exception):
    """A request refused before it reaches the gateway (its framing is wrong or too large)."""

    def __init__(self, status: int, message: str | None, drain: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.drain = drain
