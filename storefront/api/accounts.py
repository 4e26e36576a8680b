"""``POST /accounts`` (sign up), ``POST /sessions`` (sign in), ``DELETE /sessions`` (sign out)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from storefront.api.deps import AccountId, Services, Token
from storefront.api.schemas import AccountCreated, Credentials, NewAccount, SessionCreated, documented

router = APIRouter(tags=["accounts"])


@router.post(
    "/accounts", status_code=201, response_model=None, responses=documented(201, AccountCreated, 400, 409, 422)
)
def sign_up(body: NewAccount, services: Services) -> dict[str, Any]:
    account = services.accounts.sign_up(body.email, body.password)
    return {"account_id": account.id, "email": account.email}


@router.post(
    "/sessions", status_code=201, response_model=None, responses=documented(201, SessionCreated, 401, 422, 429)
)
def sign_in(body: Credentials, services: Services, request: Request) -> dict[str, Any]:
    client = request.client.host if request.client else ""
    signed_in = services.accounts.sign_in(body.email, body.password, client=client)
    return {
        "token": signed_in.token,
        "expires_at": signed_in.expires_at.isoformat(),
        "account_id": signed_in.account_id,
    }


@router.delete("/sessions", status_code=204)
def sign_out(services: Services, token: Token, _account: AccountId) -> Response:
    services.accounts.sign_out(token)
    return Response(status_code=204)
