"""File records, share links and their tokens, as the API sees them and the tables store them.

The gateway validates bodies against swagger.yaml first; these checks run again in the
function and answer a 400 that names the field to fix.

A share link's token is 256 random bits, URL-safe (43 characters). The table keeps only
its SHA-256: whoever reads the table cannot rebuild a working link.

    >>> token = new_token()
    >>> len(token), token_hash(token) != token
    (43, True)
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from legwork_common.clock import utc_ms, utc_seconds
from legwork_common.errors import ValidationFailed
from legwork_common.paging import NewestFirst
from legwork_common.validation import BLANK, json_object

# What POST /files accepts: documents and photos, by the type the bytes must prove.
DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
}
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
UPLOAD_URL_SECONDS = 900
NAME_MAX = 200
LINK_MIN_SECONDS, LINK_MAX_SECONDS = 60, 30 * 24 * 3600
# An expired or revoked link keeps answering 410 this long; then TTL (or the sweep) deletes
# it and the token is as unknown as one never issued (404).
LINK_TOMBSTONE = timedelta(days=30)
DOWNLOAD_URL_SECONDS = 300
LIMIT_DEFAULT, LIMIT_MAX = 25, 100
TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
FILE_FIELDS = ("fileId", "ownerId", "kind", "name", "contentType", "size", "status", "reason", "createdAt")
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\"]')


def _whole(raw: Any) -> int | None:
    """`raw` if it is a JSON integer, as the schema's `type: integer` (draft 4) says: `1.0` is
    not one (the API parses it as a Decimal), so the model refuses what the gateway refuses."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None
    return raw


# -- files -----------------------------------------------------------------------------
@dataclass(frozen=True)
class NewDocument:
    """The body of POST /files: `{name, contentType}`; `size` (bytes) is optional."""

    name: str
    content_type: str
    size: int | None = None

    @classmethod
    def parse(cls, body: Any) -> "NewDocument":
        body = json_object(body, ("name", "contentType", "size"))
        name = body.get("name")
        if not isinstance(name, str) or not name.strip(BLANK):
            raise ValidationFailed("'name' is required: the file's name, such as \"delivery-note.pdf\".")
        if len(name) > NAME_MAX:
            raise ValidationFailed(f"'name' must have at most {NAME_MAX} characters; it has {len(name)}.")
        if _UNSAFE_NAME.search(name):
            raise ValidationFailed("'name' must not contain slashes, quotes or control characters.")
        content_type = body.get("contentType")
        if not isinstance(content_type, str) or content_type not in DOCUMENT_TYPES:  # a list is unhashable
            raise ValidationFailed(f"'contentType' must be one of {', '.join(DOCUMENT_TYPES)}; got {content_type!r}.")
        size = body.get("size")
        if size is not None:
            if _whole(size) is None:
                raise ValidationFailed(f"'size' must be a whole number of bytes; got {size}.")
            size = _whole(size)
            if not 1 <= size <= MAX_DOCUMENT_BYTES:
                raise ValidationFailed(f"'size' must be from 1 to {MAX_DOCUMENT_BYTES} bytes (20 MB); got {size}.")
        return cls(name.strip(BLANK), content_type, size)


def document_key(owner_id: str, file_id: str) -> str:
    """Where a document lives in the uploads bucket (the files resource owns `files/`)."""
    return f"files/{owner_id}/{file_id}"


def new_document_item(doc: NewDocument, *, owner_id: str, now: datetime) -> dict:
    file_id = str(uuid.uuid4())
    item = {"fileId": file_id, "ownerId": owner_id, "key": document_key(owner_id, file_id), "kind": "document",
            "name": doc.name, "contentType": doc.content_type, "status": "pending", "createdAt": utc_ms(now)}
    if doc.size is not None:
        item["declaredSize"] = doc.size
    return item


def public_file(item: dict) -> dict:
    return {k: item[k] for k in FILE_FIELDS if k in item}


def content_disposition(name: str) -> str:
    """`attachment` with the file's name: an ASCII fallback and the exact UTF-8 name (RFC 6266)."""
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_") or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


# -- links -----------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkRequest:
    """The body of POST /files/{fileId}/links: `{expiresIn}` seconds, 60 to 30 days."""

    expires_in: int

    @classmethod
    def parse(cls, body: Any) -> "LinkRequest":
        body = json_object(body, ("expiresIn",))
        raw = body.get("expiresIn")
        if _whole(raw) is None:
            raise ValidationFailed("'expiresIn' is required: whole seconds, from 60 to 2592000 (30 days).")
        if not LINK_MIN_SECONDS <= int(raw) <= LINK_MAX_SECONDS:
            raise ValidationFailed(f"'expiresIn' must be from {LINK_MIN_SECONDS} to {LINK_MAX_SECONDS} seconds "
                                   f"(30 days); got {raw}.")
        return cls(_whole(raw))


def new_token() -> str:
    """256 random bits, base64url without padding."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the links table keys a token by: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_hash(stored: str, computed: str) -> bool:
    """Constant-time comparison, so response timing says nothing about how close a guess was."""
    return hmac.compare_digest(stored.encode(), computed.encode())


def plausible_token(token: str) -> bool:
    return bool(TOKEN_PATTERN.fullmatch(token))


def new_link_item(token: str, *, file_id: str, created_by: str, now: datetime, expires_in: int) -> dict:
    expires = now + timedelta(seconds=expires_in)
    forget = expires + LINK_TOMBSTONE
    return {
        "tokenHash": token_hash(token),
        "linkId": str(uuid.uuid4()),
        "fileId": file_id,
        "createdBy": created_by,
        "createdAt": utc_ms(now),
        "expiresAt": utc_seconds(expires),
        # DynamoDB TTL deletes the item after `ttl` (epoch seconds); the sweep finds the
        # ones TTL has not got to yet through `sweepDay` (the day of `ttl`).
        "ttl": int(forget.timestamp()),
        "sweepDay": forget.strftime("%Y-%m-%d"),
    }


def link_state(item: dict, now: datetime) -> str:
    if item.get("revokedAt"):
        return "revoked"
    return "expired" if utc_seconds(now) >= item["expiresAt"] else "active"


def public_link(item: dict, now: datetime) -> dict:
    out = {k: item[k] for k in ("linkId", "fileId", "createdBy", "createdAt", "expiresAt", "revokedAt") if k in item}
    out["state"] = link_state(item, now)
    return out


# -- paging ----------------------------------------------------------------------------
OWNER_ID_MAX = 64


def owner_filter(query: dict) -> str | None:
    """The `ownerId` of GET /files, if given: a user id of 1 to 64 characters, as the schema says."""
    owner = query.get("ownerId")
    if owner is None:
        return None
    if not 1 <= len(owner) <= OWNER_ID_MAX:
        raise ValidationFailed(f"'ownerId' must be a user id of 1 to {OWNER_ID_MAX} characters; "
                               "leave it out to list your own files.")
    return owner


def page(query: dict) -> NewestFirst:
    """`limit` and `cursor` of GET /files and GET /files/{fileId}/links."""
    return NewestFirst.parse(query, default=LIMIT_DEFAULT, maximum=LIMIT_MAX)
