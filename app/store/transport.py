"""HTTP transport of the store client: sessions, timeouts, retries with back-off, error answers → typed errors.

`Transport.request()` sends one API call and returns the parsed JSON (or raw bytes). Idempotent calls (GETs, and
POSTs that carry an Idempotency-Key) are retried on connection failures, timeouts and 502/503/504 with exponential
back-off and jitter; the request is rebuilt from the same method, URL, headers and body, so a purchase retried
keeps its Idempotency-Key and the store charges at most once. Everything else is sent once.

Runs on the caller's thread (UI workers). requests does not promise that one `Session` is safe across threads
(its cookie jar and adapters mutate), so each thread gets its own session; the connection pools stay per thread.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from app import __version__
from app.store.errors import (
    AuthRequired,
    InvalidInput,
    MalformedResponse,
    RateLimited,
    StoreError,
    StoreUnreachable,
    error_for_api,
)

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"Bundlecast/{__version__} (+https://bundlecast.invalid; python-requests/{requests.__version__})"
RETRY_STATUSES = frozenset({502, 503, 504})
MAX_JSON_BYTES = 8 * 1024 * 1024
MAX_RETRY_AFTER_S = 10.0  # a longer Retry-After is the user's decision, not a frozen worker's
LOOPBACK_HOSTS = frozenset({"localhost", "::1"})


class InvalidStoreUrl(StoreError):  # noqa: N818 - named like its siblings in app.store.errors
    default_message = "That store address doesn't look right. It should start with https://"


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def check_base_url(base_url: str) -> str:
    """The store's base URL without a trailing slash; https, or http only on this machine (loopback)."""
    parts = urlsplit(base_url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidStoreUrl(detail=base_url)
    if parts.scheme == "http" and not is_loopback(base_url.strip()):
        # Passwords, tokens and card numbers cross this connection: plain HTTP only where no network is involved.
        raise InvalidStoreUrl(
            "This store address uses plain http://, which would send your password and card unencrypted. "
            "Use its https:// address.",
            detail=base_url,
        )
    return base_url.strip().rstrip("/")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # the first try plus three retries
    backoff_s: float = 0.25  # 0.25, 0.5, 1.0 s (+ jitter of up to the same again)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, retry: int) -> float:
        base = self.backoff_s * (2**retry)
        return base + random.uniform(0, base)  # noqa: S311 - jitter, not cryptography


class Transport:
    """Sends API calls to one store; see the module docstring."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: tuple[float, float],
        user_agent: str,
        retry: RetryPolicy,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.api_url = self.base_url + "/api/v1"
        self.timeout = timeout
        self.user_agent = user_agent
        self.retry = retry
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = self.user_agent
            session.headers["Accept"] = "application/json"
            # A store on this machine (the embedded one) must never be reached through the user's HTTP_PROXY,
            # which requests would otherwise apply to 127.0.0.1 too; a remote store honours the proxy settings.
            session.trust_env = not is_loopback(self.base_url)
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def url(self, path_or_url: str) -> str:
        """An API path ("/store" → …/api/v1/store) or an absolute URL, as is."""
        if path_or_url.startswith("/"):
            return self.api_url + path_or_url
        return path_or_url

    def resolve(self, store_url: str) -> str:
        """A URL the store handed out (cover_url, torrent_url): absolute, or relative to the store's address."""
        return urljoin(self.base_url + "/", store_url)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        token: str | None = None,
        idempotency_key: str | None = None,
        unauthorized: type[StoreError] | None = None,
        raw: bool = False,
        max_bytes: int = MAX_JSON_BYTES,
        content: bytes | None = None,
        retry_always: bool = False,
    ) -> Any:
        """Send one call; returns parsed JSON (None for 204), or the body bytes when `raw`.

        ``content`` sends raw bytes instead of a JSON body; ``retry_always`` marks a call safe to repeat (an
        offset-addressed upload chunk) so it is retried like a GET.
        """
        headers: dict[str, str] = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        if raw:
            headers["Accept"] = "*/*"
        retryable = method == "GET" or idempotency_key is not None or retry_always
        if content is not None:
            headers["Content-Type"] = "application/octet-stream"
        attempts = self.retry.attempts if retryable else 1
        url = self.url(path)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._session().request(
                    method,
                    url,
                    params=params,
                    json=body,
                    data=content,
                    headers=headers,
                    timeout=self.timeout,
                    stream=True,
                )
            except requests.RequestException as exc:
                if last:
                    raise StoreUnreachable(detail=f"{method} {url}: {type(exc).__name__}: {exc}") from exc
                log.info("store call %s %s failed (%s); retrying", method, path, type(exc).__name__)
                self.retry.sleep(self.retry.delay(attempt))
                continue
            with response:
                status = response.status_code
                retry_after = _retry_after(response)
                content = _read_limited(response, max_bytes, f"{method} {url}")
            wait = None if last else self._retry_wait(status, content, retry_after, attempt)
            if wait is not None:
                log.info("store call %s %s answered %d; retrying in %.1f s", method, path, status, wait)
                self.retry.sleep(wait)
                continue
            if status >= 400:
                raise _error_from(status, content, retry_after, unauthorized)
            if raw:
                return content
            if status == 204 or not content:
                return None
            try:
                return json.loads(content)
            except ValueError as exc:
                raise MalformedResponse(detail=f"{method} {path}: not JSON: {exc}") from exc
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _retry_wait(self, status: int, content: bytes, retry_after: float | None, attempt: int) -> float | None:
        """How long to wait before asking again, or None when this answer is final. Only for retryable calls."""
        if status in RETRY_STATUSES:
            return self.retry.delay(attempt)
        if status == 429 and retry_after is not None and retry_after <= MAX_RETRY_AFTER_S:
            return retry_after
        if status == 409 and b"request_in_progress" in content:
            # The store is still working on this very Idempotency-Key (an earlier attempt of ours): asking
            # again a little later returns that attempt's answer.
            return self.retry.delay(attempt)
        return None


def _read_limited(response: requests.Response, max_bytes: int, what: str) -> bytes:
    """The body, refusing more than `max_bytes` (a broken or hostile store must not fill our memory)."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise MalformedResponse(detail=f"{what}: answer larger than {max_bytes} bytes")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise StoreUnreachable(detail=f"{what}: connection lost while reading: {exc}") from exc
    return b"".join(chunks)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from an API; treat as "later"


def _error_from(
    status: int, content: bytes, retry_after: float | None, unauthorized: type[StoreError] | None
) -> StoreError:
    code: str | None = None
    message: str | None = None
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            code = error.get("code") if isinstance(error.get("code"), str) else None
            message = error.get("message") if isinstance(error.get("message"), str) else None
        elif isinstance(data.get("detail"), str):  # FastAPI's own HTTPException shape
            message = data["detail"]
        elif status == 422:  # FastAPI's validation answer: a request this client built wrongly, or bad input
            message = None
            code = "validation_error"
    err = error_for_api(status, code, message, retry_after=retry_after)
    if status == 401 and unauthorized is not None and type(err) in (StoreError, AuthRequired):
        return unauthorized(code=code, status=status, detail=err.detail)
    if isinstance(err, RateLimited) and err.retry_after is None:
        err.retry_after = retry_after
    if status == 422 and not isinstance(err, InvalidInput):
        return InvalidInput(code=code, status=status, detail=err.detail)
    return err
