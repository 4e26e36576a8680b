"""Request dependencies: the store's services (from ``app.state``) and the signed-in account (bearer token).

Sync functions: FastAPI runs them on its worker threads, like the endpoints that use them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from storefront.errors import AuthRequiredError
from storefront.services import StoreServices


def get_services(request: Request) -> StoreServices:
    services: StoreServices = request.app.state.services
    return services


Services = Annotated[StoreServices, Depends(get_services)]


def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str:
    if not authorization:
        raise AuthRequiredError("Sign in first: this needs your account.", code="auth_required")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthRequiredError("Send your session as 'Authorization: Bearer <token>'.", code="auth_required")
    return token.strip()


Token = Annotated[str, Depends(bearer_token)]


def current_account(services: Services, token: Token) -> str:
    return services.accounts.authenticate(token)


AccountId = Annotated[str, Depends(current_account)]
