"""The store service's exceptions. Each carries an API error ``code`` and HTTP ``status``; the app turns any
``StoreError`` into ``{"error": {"code", "message"}}``. Messages are sentences a user can act on."""

from __future__ import annotations


class StoreError(Exception):
    code = "store_error"
    status = 500

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class InvalidInputError(StoreError):
    code = "invalid_input"
    status = 422


class NotFoundError(StoreError):
    code = "not_found"
    status = 404


class AuthRequiredError(StoreError):
    code = "auth_required"
    status = 401


class ForbiddenError(StoreError):
    code = "forbidden"
    status = 403


class ConflictError(StoreError):
    code = "conflict"
    status = 409


class RateLimitedError(StoreError):
    code = "rate_limited"
    status = 429


class PaymentFailedError(StoreError):
    code = "payment_failed"
    status = 402


class ServiceUnavailableError(StoreError):
    code = "service_unavailable"
    status = 503
