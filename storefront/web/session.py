"""The browser's side of a store session: the session cookie, CSRF tokens, and form bodies.

- ``bc_session`` holds the store session token (the same kind the API's bearer tokens are: ``accounts.sign_in``),
  HttpOnly (no script reads it), SameSite=Lax (sent on the link that opens a page, not on another site's POST),
  Secure when the store's public URL is https.
- ``bc_csrf`` is a random token (HttpOnly, SameSite=Strict); every form carries it in a hidden field and a POST is
  refused unless the two match (double submit: another site can make the browser send the cookie, never read it).
- Form bodies are ``application/x-www-form-urlencoded``, parsed with the standard library.
Request handlers call these on the event loop; ``account_of`` reads the database and runs on a worker thread.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import Response

from storefront.errors import StoreError
from storefront.services import StoreServices

SESSION_COOKIE = "bc_session"
CSRF_COOKIE = "bc_csrf"
MAX_FORM_BYTES = 16_384


class CsrfError(StoreError):
    code = "csrf_failed"
    status = 403


def csrf_token(request: Request) -> str:
    """The browser's CSRF token (a new one when it has none; ``remember_csrf`` sets the cookie)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if 20 <= len(token) <= 100 else secrets.token_urlsafe(24)


def remember_csrf(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/")


async def read_form(request: Request) -> dict[str, str]:
    """The POSTed form, after its CSRF field is checked against the cookie (CsrfError otherwise)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise StoreError("That form is too large.", code="form_too_large", status=413)
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    sent, kept = form.get("csrf", ""), request.cookies.get(CSRF_COOKIE, "")
    if not sent or not kept or not hmac.compare_digest(sent, kept):
        raise CsrfError("This form has expired or came from another site. Reload the page and try again.")
    return form


def account_of(services: StoreServices, request: Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return services.accounts.authenticate(token)
    except StoreError:
        return None


def remember_session(response: Response, token: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, max_age=max_age, path="/")
