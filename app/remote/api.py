"""The remote API's routes, shaped like qBittorrent's Web API v2 for the calls both share (docs/REMOTE-API.md).

Every request passes three guards before its route: the ``Host`` header must name this server (an attacker's
domain resolving to 127.0.0.1 — DNS rebinding — is refused), a request that carries ``Origin`` or ``Referer`` must
come from this same host (CSRF: another site's page cannot post to the API with the user's cookie; the cookie is
also ``SameSite=Strict`` and ``HttpOnly``), and every call but login needs a live session (``SID`` cookie), else
403 as in qBittorrent. Wrong passwords are counted per address; after five the address is banned (403) for the
ban time, even with the right password. Bodies are read as qBittorrent clients send them: url-encoded forms, and
``multipart/form-data`` for ``torrents/add`` (parsed with the standard library's e-mail parser).

Built on Starlette (FastAPI's core, already a dependency through the embedded store). Route handlers run on the
server's event loop; every engine call and every argon2 check goes to Starlette's thread pool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from app.automation.rss import FeedError, fetch_capped
from app.engine.errors import EngineError
from app.engine.labels import LabelBook
from app.engine.types import SessionTotals, TorrentId, TorrentSnapshot
from app.remote.auth import Credentials, FailureBook, SessionBook
from app.remote.torrent_info import info_entry, matches_filter, properties, transfer_info
from app.remote.webpage import PAGE

API_VERSION = "2.9.3"
APP_VERSION = "v4.6.0"  # the qBittorrent release whose Web API v2.9.3 this follows: clients pick calls by it
MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_TORRENT_BYTES = 10 * 1024 * 1024
Handler = Callable[[Request], Awaitable[Response]]


class RemoteEngine(Protocol):
    def snapshots(self) -> list[TorrentSnapshot]: ...
    def snapshot(self, tid: TorrentId) -> TorrentSnapshot: ...
    def has_torrent(self, tid: TorrentId) -> bool: ...
    def totals(self) -> SessionTotals: ...
    def rate_limits(self) -> tuple[int, int]: ...
    def dht_nodes(self) -> int: ...
    def pause(self, tid: TorrentId) -> None: ...
    def resume(self, tid: TorrentId) -> None: ...
    def remove(self, tid: TorrentId, *, delete_data: bool = False) -> None: ...
    def add_magnet(self, uri: str, save_path: Path, *, paused: bool = False) -> TorrentId: ...
    def add_torrent_bytes(self, data: bytes, save_path: Path, *, paused: bool = False) -> TorrentId: ...
    @property
    def labels(self) -> LabelBook: ...


class RemoteApi:
    """The Starlette application of the remote control."""

    def __init__(
        self,
        engine: RemoteEngine,
        credentials: Credentials,
        download_dir: Path,
        *,
        sessions: SessionBook | None = None,
        failures: FailureBook | None = None,
    ) -> None:
        self._engine = engine
        self._credentials = credentials
        self._download_dir = download_dir
        self.sessions = sessions or SessionBook()
        self.failures = failures or FailureBook()
        self.allowed_hosts: set[str] = set()  # "127.0.0.1:PORT", filled in once the port is known
        open_routes = {"/api/v2/auth/login": self._login, "/": self._page}
        routes = {
            "/api/v2/auth/logout": self._logout,
            "/api/v2/app/version": lambda _r: _text(APP_VERSION),
            "/api/v2/app/webapiVersion": lambda _r: _text(API_VERSION),
            "/api/v2/transfer/info": self._transfer_info,
            "/api/v2/torrents/info": self._info,
            "/api/v2/torrents/properties": self._properties,
            "/api/v2/torrents/add": self._add,
            "/api/v2/torrents/pause": self._pause,
            "/api/v2/torrents/stop": self._pause,
            "/api/v2/torrents/resume": self._resume,
            "/api/v2/torrents/start": self._resume,
            "/api/v2/torrents/delete": self._delete,
            "/api/v2/torrents/categories": self._categories,
            "/api/v2/torrents/createCategory": self._create_category,
            "/api/v2/torrents/tags": self._tags,
            "/api/v2/torrents/createTags": self._create_tags,
        }
        table = [Route(path, self._guarded(handler, session=False), methods=["GET", "POST"])
                 for path, handler in open_routes.items()]
        table += [Route(path, self._guarded(handler, session=True), methods=["GET", "POST"])
                  for path, handler in routes.items()]
        self.app = Starlette(routes=table)

    # --- guards --------------------------------------------------------------------------------------
    def _guarded(self, handler: Callable[[Request], Any], *, session: bool) -> Handler:
        async def guarded(request: Request) -> Response:
            host = request.headers.get("host", "")
            if self.allowed_hosts and host not in self.allowed_hosts:
                return PlainTextResponse("Unacceptable Host header.", status_code=400)
            for header in ("origin", "referer"):
                value = request.headers.get(header)
                if value and urlsplit(value).netloc != host:
                    return PlainTextResponse("Unauthorized: the request came from another site.", status_code=401)
            if session and not self.sessions.touch(request.cookies.get("SID")):
                return PlainTextResponse("Forbidden", status_code=403)
            result = handler(request)
            return await result if isinstance(result, Awaitable) else result

        return guarded

    # --- authentication ------------------------------------------------------------------------------
    async def _login(self, request: Request) -> Response:
        address = request.client.host if request.client else "?"
        if self.failures.banned(address):
            return PlainTextResponse(
                "Your IP address has been banned after too many failed authentication attempts.", status_code=403
            )
        fields, _ = await _form(request)
        username, password = _one(fields, "username"), _one(fields, "password")
        if not await run_in_threadpool(self._credentials.verify, username, password):
            self.failures.failed(address)
            return _text("Fails.")
        self.failures.succeeded(address)
        response = _text("Ok.")
        response.set_cookie("SID", self.sessions.open(), httponly=True, samesite="strict", path="/")
        return response

    async def _logout(self, request: Request) -> Response:
        self.sessions.close(request.cookies.get("SID"))
        response = _text("Ok.")
        response.delete_cookie("SID", path="/")
        return response

    def _page(self, _request: Request) -> Response:
        return HTMLResponse(PAGE, headers={"Content-Security-Policy": "default-src 'self' 'unsafe-inline'",
                                           "X-Frame-Options": "DENY"})

    # --- reads ---------------------------------------------------------------------------------------
    async def _transfer_info(self, _request: Request) -> Response:
        def read() -> dict[str, Any]:
            return transfer_info(self._engine.totals(), self._engine.rate_limits(), self._engine.dht_nodes())

        return JSONResponse(await run_in_threadpool(read))

    async def _info(self, request: Request) -> Response:
        query = request.query_params
        labels = self._engine.labels.current()
        wanted = set(query["hashes"].lower().split("|")) if query.get("hashes") else None
        entries = []
        for snap in self._engine.snapshots():
            if wanted is not None and snap.id not in wanted:
                continue
            if not matches_filter(snap, query.get("filter", "all")):
                continue
            if "category" in query and labels.category(snap.id) != query["category"]:
                continue
            if "tag" in query and (query["tag"] not in labels.torrent_tags(snap.id)
                                   if query["tag"] else labels.torrent_tags(snap.id)):
                continue
            entries.append(info_entry(snap, labels))
        return JSONResponse(entries)

    async def _properties(self, request: Request) -> Response:
        tid = request.query_params.get("hash", "").lower()
        if not self._engine.has_torrent(tid):
            return PlainTextResponse("Torrent hash was not found", status_code=404)
        return JSONResponse(properties(self._engine.snapshot(tid)))

    async def _categories(self, _request: Request) -> Response:
        labels = self._engine.labels.current()
        answer = {name: {"name": name, "savePath": cat.save_path} for name, cat in labels.categories.items()}
        return JSONResponse(answer)

    async def _tags(self, _request: Request) -> Response:
        return JSONResponse(list(self._engine.labels.current().tags))

    # --- changes -------------------------------------------------------------------------------------
    async def _add(self, request: Request) -> Response:
        fields, files = await _form(request)
        save = Path(_one(fields, "savepath")) if _one(fields, "savepath") else None
        category = _one(fields, "category")
        tags = [t.strip() for t in _one(fields, "tags").split(",") if t.strip()]
        paused = _one(fields, "paused").lower() == "true" or _one(fields, "stopped").lower() == "true"
        urls = [u.strip() for value in fields.get("urls", []) for u in value.splitlines() if u.strip()]

        def add_all() -> bool:
            labels = self._engine.labels
            target = save or labels.save_path_of(category) or self._download_dir
            added: list[TorrentId] = []
            for url in urls:
                if url.startswith("magnet:"):
                    added.append(self._engine.add_magnet(url, target, paused=paused))
                else:
                    data = fetch_capped(url, MAX_TORRENT_BYTES, what=".torrent file")
                    added.append(self._engine.add_torrent_bytes(data, target, paused=paused))
            added += [self._engine.add_torrent_bytes(data, target, paused=paused) for data in files]
            for tid in added:
                if category:
                    labels.set_category(tid, category)
                if tags:
                    labels.add_tags(tid, tags)
            return bool(added)

        try:
            return _text("Ok." if await run_in_threadpool(add_all) else "Fails.")
        except (EngineError, FeedError) as exc:
            return PlainTextResponse(f"Fails. {exc}", status_code=415)

    async def _pause(self, request: Request) -> Response:
        return await self._each(request, self._engine.pause)

    async def _resume(self, request: Request) -> Response:
        return await self._each(request, self._engine.resume)

    async def _delete(self, request: Request) -> Response:
        fields, _ = await _form(request)
        delete = _one(fields, "deleteFiles").lower() == "true"
        return await self._each(request, lambda tid: self._engine.remove(tid, delete_data=delete), fields)

    async def _each(
        self, request: Request, verb: Callable[[TorrentId], None], fields: dict[str, list[str]] | None = None
    ) -> Response:
        if fields is None:
            fields, _ = await _form(request)
        hashes = _one(fields, "hashes").lower()
        ids = [s.id for s in self._engine.snapshots()] if hashes == "all" else hashes.split("|")

        def run() -> None:
            for tid in ids:
                if self._engine.has_torrent(tid):
                    verb(tid)

        await run_in_threadpool(run)
        return _text("")

    async def _create_category(self, request: Request) -> Response:
        fields, _ = await _form(request)
        save = _one(fields, "savePath")
        try:
            await run_in_threadpool(self._engine.labels.create_category, _one(fields, "category"),
                                    Path(save) if save else None)
        except EngineError as exc:
            return PlainTextResponse(str(exc), status_code=409 if "exists" in str(exc) else 400)
        return _text("")

    async def _create_tags(self, request: Request) -> Response:
        fields, _ = await _form(request)
        try:
            await run_in_threadpool(self._engine.labels.create_tags, _one(fields, "tags").split(","))
        except EngineError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        return _text("")


def _text(body: str) -> Response:
    return PlainTextResponse(body)


def _one(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name)
    return values[0] if values else ""


async def _form(request: Request) -> tuple[dict[str, list[str]], list[bytes]]:
    """Fields (url-encoded or multipart, plus the query) and uploaded files of a request."""
    fields: dict[str, list[str]] = {k: request.query_params.getlist(k) for k in request.query_params}
    if request.method != "POST":
        return fields, []
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return fields, []
    content_type = request.headers.get("content-type", "")
    files: list[bytes] = []
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            decoded = part.get_payload(decode=True)
            payload = decoded if isinstance(decoded, bytes) else b""
            if part.get_filename() is not None:
                files.append(payload)
            elif name:
                fields.setdefault(str(name), []).append(payload.decode("utf-8", errors="replace"))
    else:
        for key, values in parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True).items():
            fields.setdefault(key, []).extend(values)
    return fields, files
