"""Documents, file records and share links: the rules, free of any AWS event shape.

    >>> service = FilesService(FilesTable(files), LinksTable(links), Storage(bucket))
    >>> upload = service.create_upload(NewDocument.parse(body), caller)      # a presigned POST
    >>> service.object_created(key, size=1234, version_id=None)              # ready or rejected
    >>> link = service.create_link(file_id, LinkRequest.parse(body), caller, base_url)
    >>> service.resolve(link["token"])                                       # a 5-minute GET URL

Owners see and share their own files; admins and managers every file. A link works for
anyone holding it until it expires or is revoked (410 after that), and a token that was
never issued is a 404; the token itself is never stored.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

import filetype
from aws_lambda_powertools import Logger

from files import models
from files.dal import FilesTable, LinksTable, Storage
from files.models import LinkRequest, NewDocument
from legwork_common.api import Caller
from legwork_common.clock import utc_ms, utc_seconds
from legwork_common.errors import (
    FileGone, Forbidden, LinkExpired, LinkNotFound, LinkRevoked, NotFound, ValidationFailed, WrongState,
)

logger = Logger(child=True)
Clock = Callable[[], datetime]
STAFF = ("admin", "manager")
SNIFF_BYTES = 4096
# A record still pending this long after its upload URL was issued never got its upload.
STALE_UPLOAD = timedelta(days=1)
SWEEP_LOOKBACK_DAYS = 7


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class FilesService:
    def __init__(self, files: FilesTable, links: LinksTable | None = None, storage: Storage | None = None, *,
                 clock: Clock | None = None) -> None:
        self.files = files
        self.links = links
        self.storage = storage
        self._clock = clock

    def clock(self) -> datetime:
        # Looked up on each call (not bound once): a warm, cached service follows the module's clock.
        return (self._clock or utc_now)()

    # -- documents ---------------------------------------------------------------------
    def create_upload(self, doc: NewDocument, caller: Caller) -> dict:
        """A pending record and a presigned POST limited to its key, its type and 20 MB."""
        now = self.clock()
        item = models.new_document_item(doc, owner_id=caller.user_id, now=now)
        limit = doc.size or models.MAX_DOCUMENT_BYTES
        post = self.storage.presigned_post(item["key"], content_type=doc.content_type, max_bytes=limit,
                                           expires_in=models.UPLOAD_URL_SECONDS)
        self.files.put_new(item)
        return {**models.public_file(item),
                "upload": {"url": post["url"], "fields": post["fields"],
                           "expiresAt": utc_seconds(now + timedelta(seconds=models.UPLOAD_URL_SECONDS))}}

    def list_files(self, caller: Caller, query: dict) -> dict:
        owner = models.owner_filter(query)
        if owner and owner != caller.user_id and caller.role not in STAFF:
            raise Forbidden("Only admin or manager may list another user's files; leave out 'ownerId'.")
        page = models.page(query)
        owner_id = owner or caller.user_id
        items, last = self.files.page_by_owner(owner_id, limit=page.limit,
                                               start_key=page.start_key("fileId", {"ownerId": owner_id}))
        return {"items": [models.public_file(i) for i in items], "nextCursor": page.cursor(last, "fileId")}

    def object_created(self, key: str, *, size: int | None, version_id: str | None) -> str:
        """Complete the record of an uploaded document from its bytes: `ready`, or `rejected` and deleted."""
        if size is None:  # S3 always says; a hand-made event may not
            head = self.storage.head(key)
            if head is None:
                return "gone"
            size = int(head["ContentLength"])
        parts = key.split("/")
        if len(parts) != 3 or parts[0] != "files":
            logger.warning("object outside files/<ownerId>/<fileId>; ignored", extra={"key": key})
            return "ignored"
        record = self.files.get(parts[2])
        if record is None or record.get("key") != key:
            # Nobody asked for this upload (or its record was swept): keep nothing we cannot account for.
            self.storage.delete(key, version_id)
            logger.warning("upload with no file record deleted", extra={"key": key})
            return "deleted"
        if record.get("status") != "pending":
            return record["status"]  # a redelivered event: already decided
        reason = self._refusal(record, key, size)
        if reason:
            self.storage.delete(key, version_id)
            self.files.settle(record["fileId"], status="rejected", size=size, reason=reason)
            logger.info("upload rejected", extra={"fileId": record["fileId"], "reason": reason})
            return "rejected"
        self.files.settle(record["fileId"], status="ready", size=size)
        return "ready"

    def _refusal(self, record: dict, key: str, size: int) -> str | None:
        limit = int(record.get("declaredSize") or models.MAX_DOCUMENT_BYTES)
        if size > limit:
            return f"The file has {size} bytes; at most {limit} were allowed."
        if size == 0:
            return "The file is empty."
        actual = filetype.guess_mime(self.storage.first_bytes(key, SNIFF_BYTES))
        if actual != record["contentType"]:
            found = actual or "no known document type"
            return f"The bytes are {found}, not {record['contentType']} as declared."
        return None

    def _readable(self, file_id: str, caller: Caller) -> dict:
        record = self.files.get(file_id)
        if record is None:
            raise NotFound("file", file_id)
        if record["ownerId"] != caller.user_id and caller.role not in STAFF:
            raise Forbidden("Only the file's owner, an admin or a manager may share it or see its links.")
        return record

    # -- links -------------------------------------------------------------------------
    def create_link(self, file_id: str, request: LinkRequest, caller: Caller, base_url: str) -> dict:
        record = self._readable(file_id, caller)
        if record["status"] != "ready":
            raise WrongState("file", file_id, record["status"], "share it", ("ready",), "its upload must be complete")
        token = models.new_token()
        item = models.new_link_item(token, file_id=file_id, created_by=caller.user_id, now=self.clock(),
                                    expires_in=request.expires_in)
        self.links.put_new(item)
        return {"token": token, "url": f"{base_url}/s/{token}", "expiresAt": item["expiresAt"],
                "linkId": item["linkId"], "fileId": file_id}

    def list_links(self, file_id: str, caller: Caller, query: dict) -> dict:
        self._readable(file_id, caller)
        page = models.page(query)
        items, last = self.links.page_by_file(file_id, limit=page.limit,
                                              start_key=page.start_key("tokenHash", {"fileId": file_id}))
        now = self.clock()
        # The cursor carries the hash of the last link: not a token, useless as a link.
        return {"items": [models.public_link(i, now) for i in items], "nextCursor": page.cursor(last, "tokenHash")}

    def _link(self, token: str) -> dict:
        if not models.plausible_token(token):
            raise LinkNotFound()
        hashed = models.token_hash(token)
        item = self.links.get(hashed)
        if item is None or not models.same_hash(item["tokenHash"], hashed):
            raise LinkNotFound()
        return item

    def revoke(self, token: str, caller: Caller) -> None:
        item = self._link(token)
        if item["createdBy"] != caller.user_id and caller.role not in STAFF:
            raise Forbidden("Only the link's creator, an admin or a manager may revoke it.")
        now = self.clock()
        forget = now + models.LINK_TOMBSTONE
        self.links.revoke(item["tokenHash"], at=utc_ms(now), by=caller.user_id, ttl=int(forget.timestamp()),
                          sweep_day=forget.strftime("%Y-%m-%d"))

    def resolve(self, token: str) -> str:
        """The presigned GET (5 minutes, `attachment` with the file's name) behind a live link."""
        item = self._link(token)
        now = self.clock()
        state = models.link_state(item, now)
        if state == "revoked":
            raise LinkRevoked("This link was revoked; ask whoever shared it for a new one.")
        if state == "expired":
            raise LinkExpired(f"This link expired at {item['expiresAt']}; ask whoever shared it for a new one.")
        record = self.files.get(item["fileId"])
        if record is None or record.get("status") != "ready":
            raise FileGone("The file behind this link is no longer available.")
        name = record.get("name") or record["key"].rsplit("/", 1)[-1]
        return self.storage.presigned_get(record["key"], disposition=models.content_disposition(name),
                                          content_type=record.get("contentType", "application/octet-stream"),
                                          expires_in=models.DOWNLOAD_URL_SECONDS)

    # -- the sweep ---------------------------------------------------------------------
    def sweep(self) -> dict:
        """Delete links TTL has not removed yet, and records whose upload never came."""
        now = self.clock()
        epoch = int(now.timestamp())
        links = 0
        for back in range(SWEEP_LOOKBACK_DAYS, -1, -1):
            day = (now - timedelta(days=back)).strftime("%Y-%m-%d")
            for key in self.links.due(day, epoch):
                links += self.links.delete_if_due(key["tokenHash"], epoch)
        files = 0
        for key in self.files.pending_before(utc_ms(now - STALE_UPLOAD)):
            files += self.files.delete_if_pending(key["fileId"])
        result = {"linksDeleted": links, "staleRecordsDeleted": files}
        logger.info("sweep done", extra=result)
        return result
