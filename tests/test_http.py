"""kg/http.py against a small local server that asks for digest credentials the way Virtuoso does:
a 401 answered before the body is read, then the connection closed."""
from __future__ import annotations

import hashlib
import http.server
import threading
import urllib.request

import pytest

from kg.errors import LoadError
from kg.http import StoreClient

USER, PASSWORD, REALM, NONCE = "kg-user", "kg-secret", "store", "0123456789abcdef"
LARGE = b"<urn:s> <urn:p> <urn:o> .\n" * 400_000  # about 10 MB: far more than a socket takes unread


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class _DigestStore(http.server.BaseHTTPRequestHandler):
    """Accepts PUT and HEAD; without valid digest credentials answers 401 at once, body unread."""

    received: list[tuple[str, int]]  # (method, body length) of each request let in
    protected = True

    def do_HEAD(self) -> None:
        if self._authorised():
            self._answer(200)

    def do_PUT(self) -> None:
        if self._authorised():
            length = int(self.headers["Content-Length"])
            self.received.append(("PUT", len(self.rfile.read(length))))
            self._answer(201)

    def _authorised(self) -> bool:
        if not self.protected or self._valid(self.headers.get("Authorization", "")):
            return True
        self.send_response(401)
        self.send_header("WWW-Authenticate", f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth", algorithm="MD5"')
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        return False

    def _valid(self, header: str) -> bool:
        if not header.startswith("Digest "):
            return False
        fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(header[len("Digest "):]))
        first = _md5(f"{USER}:{REALM}:{PASSWORD}")
        second = _md5(f"{self.command}:{fields.get('uri')}")
        expected = _md5(f"{first}:{NONCE}:{fields.get('nc')}:{fields.get('cnonce')}:auth:{second}")
        return fields.get("username") == USER and fields.get("response") == expected

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *arguments) -> None:
        pass


@pytest.fixture
def store(monkeypatch):
    def running(protected: bool = True):
        handler = type("Handler", (_DigestStore,), {"received": [], "protected": protected})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/graph-store?graph=urn:g", handler.received

    servers: list = []
    monkeypatch.setenv("KG_STORE_USER", USER)
    monkeypatch.setenv("KG_STORE_PASSWORD", PASSWORD)
    monkeypatch.setenv("NETRC", "/nonexistent")
    yield running
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_large_body_goes_with_digest_credentials_the_first_time(store):
    url, received = store()
    answer = StoreClient(timeout=10, retries=0).request("PUT", url, data=LARGE)
    assert answer.status == 201 and received == [("PUT", len(LARGE))]


def test_a_small_body_is_answered_by_the_challenge_as_before(store):
    url, received = store()
    assert StoreClient(timeout=10, retries=0).request("PUT", url, data=b"<urn:s> <urn:p> <urn:o> .\n").status == 201
    assert received == [("PUT", 26)]


def test_wrong_credentials_are_a_401_not_a_broken_pipe(store, monkeypatch):
    url, received = store()
    monkeypatch.setenv("KG_STORE_PASSWORD", "wrong")
    with pytest.raises(LoadError) as raised:
        StoreClient(timeout=10, retries=0).request("PUT", url, data=LARGE, what="graph <urn:g>")
    assert "HTTP 401" in str(raised.value) and "KG_STORE_USER" in str(raised.value)
    assert received == []


def test_a_store_that_asks_for_nothing_gets_the_request_as_it_is(store):
    url, received = store(protected=False)
    assert StoreClient(timeout=10, retries=0).request("PUT", url, data=LARGE).status == 201
    assert received == [("PUT", len(LARGE))]
