"""A small HTTP client for SPARQL stores: credentials, basic/digest auth, timeouts, retries.

Only the standard library: urllib handles both basic and digest challenges. Credentials
come from the environment or ~/.netrc, never from the command line, and are never printed.
"""
from __future__ import annotations

import base64
import netrc
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from .errors import LoadError, Problem

USER_VARIABLE = "KG_STORE_USER"
PASSWORD_VARIABLE = "KG_STORE_PASSWORD"
AUTH_KINDS = ("auto", "basic", "digest", "none")


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str


def credentials_for(url: str) -> tuple[str, str] | None:
    """(user, password) from KG_STORE_USER/KG_STORE_PASSWORD, else from ~/.netrc for the URL's host."""
    user, password = os.environ.get(USER_VARIABLE), os.environ.get(PASSWORD_VARIABLE)
    if user is not None and password is not None:
        return user, password
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        entry = netrc.netrc(os.environ.get("NETRC")).authenticators(host)
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return None
    if entry and entry[0] is not None:
        return entry[0], entry[2] or ""
    return None


class StoreClient:
    """Requests to one store, retried with backoff on connection errors and 5xx answers."""

    def __init__(self, timeout: float = 60.0, retries: int = 3, auth: str = "auto", backoff: float = 0.5):
        self.timeout = timeout
        self.retries = retries
        self.auth = auth
        self.backoff = backoff
        self._openers: dict[str, urllib.request.OpenerDirector] = {}
        self._preemptive: dict[str, str] = {}
        self._digest: dict[str, urllib.request.HTTPDigestAuthHandler] = {}

    def _opener(self, url: str) -> urllib.request.OpenerDirector:
        root = "{0.scheme}://{0.netloc}/".format(urllib.parse.urlsplit(url))
        if root not in self._openers:
            handlers: list = []
            found = credentials_for(url) if self.auth != "none" else None
            if found:
                user, password = found
                manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
                manager.add_password(None, root, user, password)
                if self.auth in ("auto", "digest"):
                    self._digest[root] = urllib.request.HTTPDigestAuthHandler(manager)
                    handlers.append(self._digest[root])
                if self.auth in ("auto", "basic"):
                    handlers.append(urllib.request.HTTPBasicAuthHandler(manager))
                if self.auth == "basic":
                    token = base64.b64encode(f"{user}:{password}".encode()).decode()
                    self._preemptive[root] = f"Basic {token}"
            self._openers[root] = urllib.request.build_opener(*handlers)
        return self._openers[root]

    def request(self, method: str, url: str, data: bytes | None = None, headers: dict[str, str] | None = None, what: str = "") -> Response:
        """Send one request; raise LoadError naming `what`, the status and the store's message on failure."""
        opener = self._opener(url)
        root = "{0.scheme}://{0.netloc}/".format(urllib.parse.urlsplit(url))
        attempt = 0
        while True:
            request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
            if root in self._preemptive:
                request.add_header("Authorization", self._preemptive[root])
            elif root in self._digest and data and len(data) > _ANSWERED_BEFORE_SENT:
                self._authorise_first(request, root, what)
            try:
                with opener.open(request, timeout=self.timeout) as answer:
                    return Response(answer.status, answer.read(), answer.headers.get("Content-Type", ""))
            except urllib.error.HTTPError as error:
                body = error.read() if error.fp else b""
                if error.code >= 500 and attempt < self.retries:
                    attempt += 1
                    time.sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise LoadError(Problem(what or url, None, None, f"HTTP {error.code} from {method} {_redact(url)}: {_message(body) or error.reason}",
                                        _hint(error.code), "load")) from None
            except (urllib.error.URLError, socket.timeout, ConnectionError, TimeoutError) as error:
                if attempt < self.retries:
                    attempt += 1
                    time.sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                reason = getattr(error, "reason", error)
                raise LoadError(Problem(what or url, None, None, f"cannot reach {_redact(url)}: {reason}",
                                        f"is the store running? (tried {attempt + 1} times, timeout {self.timeout:g}s)", "load")) from None


    def _authorise_first(self, request: urllib.request.Request, root: str, what: str) -> None:
        """Give a large request its digest Authorization before it is sent. Sent without one, the store
        answers 401 and may close the connection while the body is still being written (Virtuoso does,
        on a busy machine): a broken pipe, every attempt, where a small request gets its challenge
        answered. So a HEAD of the same URL fetches the challenge, a second HEAD checks the credentials
        (wrong ones are a 401, as for any request), and the request goes with its own answer to it.
        Nothing is added if the store does not ask for a digest."""
        challenge = self._challenge(urllib.request.Request(request.full_url, method="HEAD"))
        if challenge is None:
            return
        handler = self._digest[root]
        check = urllib.request.Request(request.full_url, method="HEAD")
        answer = handler.get_authorization(check, challenge)
        if not answer:
            return  # an algorithm or quality of protection urllib does not do: as before
        check.add_unredirected_header(handler.auth_header, f"Digest {answer}")
        if self._challenge(check) is not None:
            raise LoadError(Problem(what or request.full_url, None, None, f"HTTP 401 from {request.get_method()} {_redact(request.full_url)}: "
                                    "the store refused the credentials", _hint(401), "load"))
        request.add_unredirected_header(handler.auth_header, f"Digest {handler.get_authorization(request, challenge)}")

    def _challenge(self, probe: urllib.request.Request) -> dict[str, str] | None:
        """The digest challenge the store answers `probe` with, if it answers with one."""
        try:
            urllib.request.build_opener().open(probe, timeout=self.timeout).close()
            return None
        except urllib.error.HTTPError as error:
            header = error.headers.get("WWW-Authenticate", "") if error.code == 401 else ""
        except (urllib.error.URLError, socket.timeout, ConnectionError, TimeoutError):
            return None  # the request itself will say what is wrong
        scheme, _, parameters = header.partition(" ")
        if scheme.lower() != "digest":
            return None
        return urllib.request.parse_keqv_list(filter(None, urllib.request.parse_http_list(parameters)))


# Bodies up to this size are sent whole before a store's 401 is read; a larger one may not be.
_ANSWERED_BEFORE_SENT = 64 * 1024


def _message(body: bytes, limit: int = 300) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _hint(status: int) -> str:
    if status in (401, 403):
        return f"set {USER_VARIABLE} and {PASSWORD_VARIABLE} or add the host to ~/.netrc; try --auth digest or --auth basic"
    if status == 404:
        return "check the endpoint URL (or --store-type)"
    if status in (400, 415):
        return "the store rejected the request; with --method gsp try --method update, and see the store's message"
    return "see the store's log"


def _redact(url: str) -> str:
    """Never show credentials that someone put into a URL."""
    parts = urllib.parse.urlsplit(url)
    if parts.username or parts.password:
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urllib.parse.urlunsplit(parts._replace(query=""))
