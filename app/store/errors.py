"""The store client's exceptions: what went wrong talking to a store or to the keyring, as a sentence.

Every error carries `user_message`, a sentence the UI shows as is (no traceback, no HTTP jargon), and, for
errors that came from the store's API, the API's `code` and HTTP `status`. `error_for_api()` maps the API's
`{"error": {"code", "message"}}` answers to these classes. Pure data; used from any thread.
"""

# ruff: noqa: N818 -- the names read as what happened (CardDeclined, StoreUnreachable), as docs/CONTRACTS.md spells them

from __future__ import annotations


class StoreError(Exception):
    """Base of every store-client error. `user_message` is what a fan reads."""

    default_message = "Something went wrong with the store. Please try again."

    def __init__(
        self,
        user_message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        detail: str | None = None,
    ) -> None:
        self.user_message = user_message or self.default_message
        self.code = code
        self.status = status
        self.detail = detail  # developer-facing context: logs only, never shown
        super().__init__(self.user_message if detail is None else f"{self.user_message} ({detail})")


class StoreUnreachable(StoreError):
    default_message = "The store can't be reached — your bundles still play."


class PaymentInDoubt(StoreUnreachable):
    default_message = (
        "The store stopped answering while your payment was on its way, so Bundlecast can't tell whether it went "
        "through. Try again when you're back online: you won't be charged twice."
    )


class StoreServerError(StoreError):
    default_message = "The store had a problem on its side. Please try again in a moment."


class MalformedResponse(StoreError):
    default_message = "The store sent an answer this version of Bundlecast doesn't understand."


class AuthRequired(StoreError):
    default_message = "Please sign in to the store first."


class SessionExpired(AuthRequired):
    default_message = "Your store session has expired. Please sign in again."


class WrongCredentials(AuthRequired):
    default_message = "That e-mail address and password don't match an account."


class Forbidden(StoreError):
    default_message = "Your account isn't allowed to do that."


class NotFound(StoreError):
    default_message = "The store doesn't have that any more."


class InvalidInput(StoreError):
    default_message = "The store didn't accept that. Please check what you entered."


class AccountExists(InvalidInput):
    default_message = "An account with that e-mail address already exists. Try signing in."


class WrongCode(InvalidInput):
    default_message = "That confirmation code isn't right. Check the e-mail and try again."


class AlreadyOwned(StoreError):
    default_message = "You already own this bundle."


class RateLimited(StoreError):
    default_message = "Too many attempts. Please wait a minute and try again."

    def __init__(
        self,
        user_message: str | None = None,
        *,
        retry_after: float | None = None,
        code: str | None = None,
        status: int | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(user_message, code=code, status=status, detail=detail)
        self.retry_after = retry_after


class AlreadyBacked(StoreError):
    default_message = "You have already backed this campaign."


class PaymentFailed(StoreError):
    default_message = "The payment didn't go through. You weren't charged."


class CardDeclined(PaymentFailed):
    default_message = "Your card was declined. You weren't charged."


class InsufficientFunds(PaymentFailed):
    default_message = "Your card has insufficient funds. You weren't charged."


class MailUnavailable(StoreError):
    default_message = "The store can't send the confirmation e-mail right now. Please try again in a few minutes."


class CampaignClosed(StoreError):
    default_message = "This campaign has ended; it no longer takes pledges."


class StoreKeyChanged(StoreError):
    default_message = (
        "This store's signing key has changed since you first used it. Bundlecast refuses it: it may not be "
        "the store you know. If the store really changed its key, remove it in Settings and add it again."
    )


class VaultUnavailable(StoreError):
    default_message = (
        "Bundlecast can't reach your system's keyring, so it can't keep store sign-ins or licenses. "
        "Free bundles still work. Unlock or install a keyring service (GNOME Keyring, KWallet, "
        "macOS Keychain, Windows Credential Manager) and restart Bundlecast."
    )


class LicenseInvalid(StoreError):
    default_message = "The store sent a license that doesn't check out, so Bundlecast didn't keep it."


class EmbeddedStoreFailed(StoreError):
    default_message = "The built-in demo store didn't start. The log in Bundlecast's data folder says why."


# API error codes (docs/CONTRACTS.md and storefront/) → the class a fan should see.
_BY_CODE: dict[str, type[StoreError]] = {
    "card_declined": CardDeclined,
    "insufficient_funds": InsufficientFunds,
    "payment_failed": PaymentFailed,
    "already_owned": AlreadyOwned,
    "already_pledged": AlreadyBacked,
    "rate_limited": RateLimited,
    "too_many_attempts": RateLimited,
    "token_expired": SessionExpired,
    "invalid_token": SessionExpired,
    "auth_required": AuthRequired,
    "invalid_credentials": WrongCredentials,
    "email_taken": AccountExists,
    "wrong_code": WrongCode,
    "campaign_closed": CampaignClosed,
    "forbidden": Forbidden,
    "not_creator": Forbidden,
    "not_found": NotFound,
    "unknown_bundle": NotFound,
    "unknown_campaign": NotFound,
    "mail_unavailable": MailUnavailable,
    "mail_failed": MailUnavailable,
    "internal_error": StoreServerError,
    "service_unavailable": StoreServerError,
    # Input the store refused for a reason it explains best itself (shown verbatim, see _SHOW_SERVER_MESSAGE):
    # invalid_input, invalid_email, weak_password, wrong_amount, below_minimum, above_maximum, wrong_gate,
    # consent_required, no_code_requested, code_expired — all map through their 4xx status to InvalidInput.
}

# When the code is unknown to this version, the HTTP status still says what kind of failure it is.
_BY_STATUS: dict[int, type[StoreError]] = {
    400: InvalidInput,
    401: AuthRequired,
    402: PaymentFailed,
    403: Forbidden,
    404: NotFound,
    409: InvalidInput,
    410: NotFound,
    422: InvalidInput,
    429: RateLimited,
}

# Whose server-written message may be shown verbatim: input problems are best explained by the store itself
# ("password must be at least 8 characters"); for the rest our own sentence is clearer and translatable.
_SHOW_SERVER_MESSAGE = (InvalidInput, Forbidden)


def error_for_api(
    status: int, code: str | None, message: str | None, *, retry_after: float | None = None
) -> StoreError:
    """The typed error for an API error answer (`status`, `{"error": {code, message}}`)."""
    cls = _BY_CODE.get(code or "")
    if cls is None:
        cls = StoreServerError if status >= 500 else _BY_STATUS.get(status, StoreError)
    user_message = None
    if message and issubclass(cls, _SHOW_SERVER_MESSAGE) and cls not in (AccountExists, WrongCode):
        user_message = message
    detail = f"HTTP {status} {code or '-'}: {message or ''}".strip()
    if cls is RateLimited:
        return RateLimited(user_message, retry_after=retry_after, code=code, status=status, detail=detail)
    return cls(user_message, code=code, status=status, detail=detail)
