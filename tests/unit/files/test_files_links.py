"""Share links: a token only its holder knows, a 302 to a short download, 410 after expiry or revocation."""
from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from tests.unit.files.conftest import ADMIN, ANA, BEN, MANAGER, PDF, call


@pytest.fixture
def shared(upload, clock):
    """A ready document of ANA's and a one-hour link to it: (file record, link body)."""
    record = upload(PDF, name="Lieferschein März.pdf")
    status, headers, link = call("create_link", "POST", f"/files/{record['fileId']}/links", body={"expiresIn": 3600},
                                 caller=ANA, path_params={"fileId": record["fileId"]})
    assert status == 201, link
    assert headers["Cache-Control"] == "no-store"
    return record, link


def open_link(token: str):
    return call("open_link", "GET", f"/s/{token}", path_params={"token": token})


def test_a_link_redirects_to_a_five_minute_download_with_the_files_name(shared, stack):
    record, link = shared
    assert len(link["token"]) >= 22  # at least 128 bits, base64url
    assert link["url"].endswith(f"/dev/s/{link['token']}") and link["url"].startswith("https://")
    status, headers, _ = open_link(link["token"])
    assert status == 302
    location = urlparse(headers["Location"])
    query = parse_qs(location.query)
    assert location.path.endswith(record["key"])
    assert query["response-content-disposition"] == [
        "attachment; filename=\"Lieferschein M_rz.pdf\"; filename*=UTF-8''Lieferschein%20M%C3%A4rz.pdf"]
    assert query["X-Amz-Expires"] == ["300"]
    assert headers["Referrer-Policy"] == "no-referrer"
    # The URL really serves the bytes (moto answers presigned GETs in-process).
    import requests

    assert requests.get(headers["Location"], timeout=5).content == PDF


def test_a_link_answers_410_once_expired(shared, clock):
    _, link = shared
    clock.now += timedelta(seconds=3599)
    assert open_link(link["token"])[0] == 302
    clock.now += timedelta(seconds=1)
    status, _, body = open_link(link["token"])
    assert status == 410
    assert body["error"]["code"] == "LinkExpired" and link["expiresAt"] in body["error"]["message"]


def test_a_revoked_link_answers_410(shared):
    _, link = shared
    status, _, _ = call("revoke_link", "DELETE", f"/links/{link['token']}", caller=ANA,
                        path_params={"token": link["token"]})
    assert status == 204
    status, _, body = open_link(link["token"])
    assert status == 410 and body["error"]["code"] == "LinkRevoked"
    # Revoking again is harmless.
    assert call("revoke_link", "DELETE", f"/links/{link['token']}", caller=MANAGER,
                path_params={"token": link["token"]})[0] == 204


def test_only_the_creator_or_staff_may_revoke(shared):
    _, link = shared
    status, _, _ = call("revoke_link", "DELETE", f"/links/{link['token']}", caller=BEN,
                        path_params={"token": link["token"]})
    assert status == 403
    assert open_link(link["token"])[0] == 302


@pytest.mark.parametrize("token", ["A" * 43, "short", "x" * 200, "../../etc"])
def test_a_token_never_issued_is_a_404(stack, token):
    status, _, body = open_link(token)
    assert status == 404 and body["error"]["code"] == "LinkNotFound"


def test_the_stored_item_holds_no_usable_token(shared, stack):
    _, link = shared
    table = boto3.resource("dynamodb").Table(stack.name("LinksTable"))
    (item,) = table.scan()["Items"]  # the test reads the whole table, as a thief would
    assert item["tokenHash"] == hashlib.sha256(link["token"].encode()).hexdigest()
    assert not any(link["token"] in str(value) for value in item.values())
    for value in item.values():  # nothing stored opens the link
        if isinstance(value, str):
            assert open_link(value)[0] == 404


def test_the_links_of_a_file_are_listed_without_tokens(shared):
    record, link = shared
    status, _, body = call("list_links", "GET", f"/files/{record['fileId']}/links", caller=MANAGER,
                           path_params={"fileId": record["fileId"]})
    assert status == 200
    (listed,) = body["items"]
    assert listed["linkId"] == link["linkId"] and listed["state"] == "active"
    assert link["token"] not in str(body) and "tokenHash" not in listed


def test_another_courier_may_neither_share_nor_list_links_of_a_file(shared):
    record, _ = shared
    path = f"/files/{record['fileId']}/links"
    assert call("create_link", "POST", path, body={"expiresIn": 60}, caller=BEN,
                path_params={"fileId": record["fileId"]})[0] == 403
    assert call("list_links", "GET", path, caller=BEN, path_params={"fileId": record["fileId"]})[0] == 403
    assert call("create_link", "POST", path, body={"expiresIn": 60}, caller=ADMIN,
                path_params={"fileId": record["fileId"]})[0] == 201


@pytest.mark.parametrize("expires_in", [59, 30 * 24 * 3600 + 1, "3600", 1.5, True])
def test_expiry_must_be_from_a_minute_to_thirty_days(shared, expires_in):
    record, _ = shared
    status, _, body = call("create_link", "POST", f"/files/{record['fileId']}/links",
                           body={"expiresIn": expires_in}, caller=ANA, path_params={"fileId": record["fileId"]})
    assert status == 400 and "expiresIn" in body["error"]["message"]


def test_a_file_not_yet_uploaded_cannot_be_shared(stack):
    _, _, created = call("create_file", "POST", "/files", body={"name": "a.pdf", "contentType": "application/pdf"},
                         caller=ANA)
    status, _, body = call("create_link", "POST", f"/files/{created['fileId']}/links", body={"expiresIn": 60},
                           caller=ANA, path_params={"fileId": created["fileId"]})
    assert status == 409 and "pending" in body["error"]["message"]
    assert call("create_link", "POST", "/files/nope/links", body={"expiresIn": 60}, caller=ANA,
                path_params={"fileId": "nope"})[0] == 404


def test_the_sweep_deletes_links_past_their_grace_and_uploads_that_never_came(shared, clock, stack):
    import files.handlers as handlers
    from tests.support.events import lambda_context

    _, link = shared
    _, _, stale = call("create_file", "POST", "/files", body={"name": "a.pdf", "contentType": "application/pdf"},
                       caller=BEN)
    links = boto3.resource("dynamodb").Table(stack.name("LinksTable"))
    files = boto3.resource("dynamodb").Table(stack.name("FilesTable"))

    clock.now += timedelta(days=2)  # expired, still answering 410; the upload never came
    assert handlers.sweep({}, lambda_context()) == {"linksDeleted": 0, "staleRecordsDeleted": 1}
    assert open_link(link["token"])[0] == 410
    assert "Item" not in files.get_item(Key={"fileId": stale["fileId"]})

    clock.now += timedelta(days=30)  # past the 30-day grace: TTL's job, and the sweep's if TTL is late
    assert handlers.sweep({}, lambda_context()) == {"linksDeleted": 1, "staleRecordsDeleted": 0}
    assert links.scan()["Items"] == []
    assert open_link(link["token"])[0] == 404
