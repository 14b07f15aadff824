"""Lambda entry points of the files resource: parse, call `logic`, shape the response.

One function per operation (see template.yaml), plus the uploads' `ObjectCreated`
consumer and the sweep.
"""
from __future__ import annotations

import functools
import os
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger

from files.dal import FilesTable, LinksTable, Storage
from files.logic import FilesService
from files.models import LinkRequest, NewDocument
from legwork_common.api import Request, Response, endpoint

logger = Logger()


@functools.cache
def _service_for(files: str, links: str | None, bucket: str | None) -> FilesService:
    return FilesService(FilesTable(files), LinksTable(links) if links else None, Storage(bucket) if bucket else None)


def _service(bucket: str | None = None) -> FilesService:
    # Keyed by the names so a warm worker follows a changed environment.
    return _service_for(os.environ["FILES_TABLE"], os.environ.get("LINKS_TABLE"),
                        bucket or os.environ.get("UPLOADS_BUCKET"))


def _base_url(request: Request) -> str:
    """The API's own base URL as the caller reached it (stage or custom-domain base path included)."""
    headers = request.headers
    context = request.event.get("requestContext") or {}
    host = headers.get("host") or context.get("domainName", "")
    # API Gateway always sends X-Forwarded-Proto (https); only a local gateway may not.
    scheme = headers.get("x-forwarded-proto", "http")
    full_path = context.get("path") or request.path
    prefix = full_path[: len(full_path) - len(request.path)] if full_path.endswith(request.path) else ""
    return f"{scheme}://{host}{prefix}"


@endpoint
def create_file(request: Request) -> Response:
    """POST /files (any role): `{name, contentType, size?}` → 201 with the record and its presigned POST."""
    caller = request.require_role("admin", "manager", "courier")
    return Response(201, _service().create_upload(NewDocument.parse(request.body), caller))


@endpoint
def list_files(request: Request) -> dict:
    """GET /files: the caller's files, newest first; admin and manager may pass `?ownerId=`."""
    caller = request.require_role("admin", "manager", "courier")
    return _service().list_files(caller, request.query)


@endpoint
def create_link(request: Request) -> Response:
    """POST /files/{fileId}/links (owner, admin, manager): `{expiresIn}` → 201 `{token, url, expiresAt}`."""
    caller = request.require_role("admin", "manager", "courier")
    link = _service().create_link(request.path_params.get("fileId", ""), LinkRequest.parse(request.body), caller,
                                  _base_url(request))
    return Response(201, link, {"Cache-Control": "no-store"})


@endpoint
def list_links(request: Request) -> dict:
    """GET /files/{fileId}/links: the file's links, newest first, without their tokens."""
    caller = request.require_role("admin", "manager", "courier")
    return _service().list_links(request.path_params.get("fileId", ""), caller, request.query)


@endpoint
def revoke_link(request: Request) -> Response:
    """DELETE /links/{token} (its creator, admin, manager): 204; the link answers 410 from now on."""
    caller = request.require_role("admin", "manager", "courier")
    _service().revoke(request.path_params.get("token", ""), caller)
    return Response(204)


@endpoint
def open_link(request: Request) -> Response:
    """GET /s/{token} (no auth): 302 to a 5-minute download URL; 410 expired or revoked; 404 unknown."""
    url = _service().resolve(request.path_params.get("token", ""))
    return Response(302, None, {"Location": url, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


@logger.inject_lambda_context(clear_state=True)
def uploaded(event: dict, context: Any) -> dict:
    """S3 `ObjectCreated` under `files/`: check size and real type, then mark the record ready or rejected."""
    outcomes = []
    for record in event.get("Records", []):
        s3 = record["s3"]
        key = unquote_plus(s3["object"]["key"])  # S3 sends keys URL-encoded
        outcome = _service(s3["bucket"]["name"]).object_created(
            key, size=s3["object"].get("size"), version_id=s3["object"].get("versionId"))
        outcomes.append({"key": key, "outcome": outcome})
    return {"results": outcomes}


@logger.inject_lambda_context(clear_state=True)
def sweep(event: dict, context: Any) -> dict:
    """Scheduled: delete expired links TTL has not removed yet and records whose upload never came."""
    return _service().sweep()
