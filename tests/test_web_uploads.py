"""Uploads that go wrong (issue 12): each gets its clear JSON error, its log
entry, and leaves nothing behind."""

from __future__ import annotations

import errno
import io
from pathlib import Path

from sqlalchemy import text

from tests.fakes import ledger
from tests.web_support import OWN, app, client, login, wait_for  # noqa: F401  (fixtures)


def count(app, table):
    with app.extensions["ekonomi"].engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def _imports(client):
    return client.get(f"/api/v1/companies/{OWN}/imports").json["items"]


def test_a_form_with_too_many_fields_is_no_file_too_large(app, client):
    login(client, "client-import")
    fields = {f"f{i}": "x" for i in range(5000)}
    response = client.post(f"/api/v1/companies/{OWN}/imports", data={**fields, "file": (io.BytesIO(b"x"), "a.fake")})
    assert response.status_code == 400
    assert response.json["code"] == "bad_request" and "fält" in response.json["message"]
    assert count(app, "import_run") == 0  # not an import at all


def _raw_upload(client, filename: bytes, content: bytes):
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n--B--\r\n"
    )
    return client.post(f"/api/v1/companies/{OWN}/imports", data=body, content_type="multipart/form-data; boundary=B")


def test_a_file_name_that_cannot_be_read_is_refused_in_plain_words_and_logged(app, client):
    login(client, "client-import")
    content = ledger(vouchers=30).encode()
    for name in (b"bok\r\n.fake", "bök.fake".encode("latin-1")):
        response = _raw_upload(client, name, content)
        assert response.status_code == 400
        assert response.json["code"] == "bad_request" and "name could not be read" in response.json["message"]  # the API speaks English
    assert [(i["status"], i["issues"][0]["code"]) for i in _imports(client)] == [("failed", "bad_request")] * 2


def test_a_file_without_a_name_is_imported_under_a_plain_one(app, client):
    login(client, "client-import")
    response = _raw_upload(client, b"", ledger(vouchers=1).encode())
    assert response.status_code == 202, response.json
    assert wait_for(app, response.json["import_id"])["status"] == "succeeded"
    empty = _raw_upload(client, b"", b"")
    assert empty.status_code == 400 and "Välj en fil" in empty.json["message"]


def test_a_full_disk_while_copying_the_upload(app, client, tmp_path, monkeypatch):
    from werkzeug.datastructures import FileStorage

    def full(self, dst, buffer_size=16384):
        dst.write(b"part")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileStorage, "save", full)
    login(client, "client-import")
    leftovers = set(Path("/tmp").glob("ekonomi-upload-*"))
    response = client.post(f"/api/v1/companies/{OWN}/imports", data={"file": (io.BytesIO(ledger(vouchers=1).encode()), "a.fake")})
    assert response.status_code == 507
    assert response.json["code"] == "insufficient_storage" and "No space left" in response.json["message"]
    assert set(Path("/tmp").glob("ekonomi-upload-*")) == leftovers
    log = _imports(client)
    assert log[0]["status"] == "failed" and log[0]["issues"][0]["code"] == "insufficient_storage"


def test_a_full_disk_while_keeping_the_input(app, client, tmp_path, monkeypatch):
    import shutil

    from ekonomi.core.books import settings

    def full(src, dst, *args, **kwargs):
        Path(dst).write_bytes(b"part")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    login(client, "client-import")
    response = client.post(f"/api/v1/companies/{OWN}/imports", data={"file": (io.BytesIO(ledger(vouchers=1).encode()), "a.fake")})
    assert response.status_code == 507
    inputs = settings.file_store() / "inputs"
    assert not inputs.exists() or list(inputs.iterdir()) == []
    assert _imports(client)[0]["issues"][0]["code"] == "insufficient_storage"


def test_a_database_error_is_logged_without_its_statement(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from ekonomi.core.engine import store

    def full(self, rec):
        raise OperationalError("INSERT INTO voucher (secret) VALUES (?)", {"secret": 1}, Exception("database or disk is full"))

    monkeypatch.setattr(store.Store, "add", full)
    login(client, "client-import")
    response = client.post(f"/api/v1/companies/{OWN}/imports", data={"file": (io.BytesIO(ledger(vouchers=1).encode()), "a.fake")})
    result = wait_for(app, response.json["import_id"])
    crashed = [i for i in result["issues"] if i["code"] == "import.crashed"]
    assert crashed and "database or disk is full" in crashed[0]["message"]
    assert "INSERT" not in crashed[0]["message"] and "secret" not in crashed[0]["message"]
