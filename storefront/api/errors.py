"""Every error the API returns is ``{"error": {"code", "message"}}`` with the right HTTP status.

Handlers run on the event loop; they only format (a refused creator body is re-checked by the service's own
checks on a worker thread, for its sentence: ``storefront.api.body_checks``).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from storefront.api.body_checks import service_refusal
from storefront.errors import StoreError

log = logging.getLogger(__name__)

# The schema now holds these constraints (issue 13); the answers keep the codes clients already know, with
# sentences a fan can act on (the app shows them as they are).
_FIELD_ERRORS = {
    "email": ("invalid_email", "That is not a valid e-mail address."),
    "kind": ("invalid_kind", "kind is one of book, film, game, music, series, software."),
    "sort": ("invalid_sort", "sort is one of newest, title, popular, price."),
    "consent": (
        "consent_required",
        "Tick the box to agree that the creator may e-mail you; the bundle is given for that consent.",
    ),
    # sign-in's password only needs to be present; sign-up's has a minimum length
    "password": ("weak_password", "Choose a password of at least 8 characters."),
    "number": ("invalid_card", "That card number is not valid; check the digits."),
    "exp_month": ("invalid_card", "That card's expiry month is not valid."),
    "exp_year": ("invalid_card", "That card's expiry year is not valid."),
    "cvc": ("invalid_card", "The card's security code (CVC) is 3 or 4 digits."),
}
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 401: "auth_required", 400: "bad_request"}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StoreError)
    async def _store_error(_request: Request, exc: StoreError) -> JSONResponse:
        headers = {"Retry-After": "60"} if exc.status == 429 else None
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return error_response(exc.status, exc.code, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "malformed_json", "The request body is not valid JSON.")
        first = errors[0] if errors else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = f"{where}: {first.get('msg', 'invalid value')}" if where else str(first.get("msg", "invalid"))
        if first.get("type") == "model_attributes_type":
            return error_response(400, "malformed_json", "The request body must be a JSON object.")
        if tuple(first.get("loc", ())) == ("header", "idempotency-key") and first.get("type") == "missing":
            return error_response(
                400,
                "idempotency_key_missing",
                "This request needs an Idempotency-Key header (a unique value per purchase attempt), "
                "so that retrying it can never charge twice.",
            )
        # the service's own sentence for a body it refuses (a draft's checks decode its torrent: a worker thread)
        route_path = getattr(request.scope.get("route"), "path", "")
        refusal = await run_in_threadpool(service_refusal, route_path, exc.body)
        if refusal is not None:
            return error_response(refusal.status, refusal.code, refusal.message)
        field = str(first.get("loc", ("",))[-1])
        if first.get("type") != "missing" and field in _FIELD_ERRORS:
            return error_response(422, *_FIELD_ERRORS[field])
        code = "invalid_input"
        return error_response(422, code, f"The request has a missing or bad field — {message}.")

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404:
            message = "There is nothing at this address."
        return error_response(exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "internal_error", "The store hit an unexpected error; try again later.")
