"""The API document says what the API does: every route's error statuses are derived from what the route
takes, in one place, and 405 answers say which methods the address allows.

``install_contract(app)`` wraps ``app.openapi`` so that each operation lists, with the error model
``{"error": {"code", "message"}}`` (``ErrorAnswer``):
- 400 ``malformed_json`` when it takes a JSON body (a body that is not JSON, or not an object);
- 401 ``auth_required`` when it reads the ``Authorization`` header (the session);
- 404 when it has a path parameter (an unknown bundle, campaign, …);
- 422 ``invalid_input`` (and the field codes of ``storefront.api.errors``) when it takes any parameter or body —
  FastAPI's own ``HTTPValidationError`` schema is replaced, since the store answers with the error model;
- 503 when it charges a card (the payment service unreachable; nothing charged).
The statuses a route documents itself (409, 402, 429, …) stay. It also registers the 405 handler that puts the
``Allow`` header (RFC 9110) on "method not allowed" answers, listing the methods of every route at that path.
Runs once per process, on the event loop (the document is cached after the first build).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import compile_path

from storefront.api.schemas import ErrorAnswer

_ERROR_REF = {"$ref": "#/components/schemas/ErrorAnswer"}
_DESCRIPTIONS = {
    400: "The body is not JSON, or not a JSON object",
    401: "Not signed in: send the session as 'Authorization: Bearer <token>'",
    404: "Nothing with that id in this store",
    422: "A missing or bad field; the error's code names it",
    503: "The payment service cannot be reached; nothing was charged",
}
_CHARGING = ("/api/v1/purchases", "/api/v1/campaigns/{campaign_id}/pledges")


def _error_answer(status: int) -> dict[str, Any]:
    return {"description": _DESCRIPTIONS[status], "content": {"application/json": {"schema": _ERROR_REF}}}


def complete_document(document: dict[str, Any]) -> dict[str, Any]:
    """Add the derived error statuses to every operation of ``document`` (in place; returned for chaining)."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorAnswer", ErrorAnswer.model_json_schema(ref_template="#/components/schemas/{model}"))
    components.setdefault("ErrorDetail", ErrorAnswer.model_json_schema()["$defs"]["ErrorDetail"])
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            params = operation.get("parameters", [])
            statuses = set()
            if "requestBody" in operation:
                statuses.add(400)
            if any(p.get("in") == "path" for p in params):
                statuses.add(404)
            if any(p.get("in") == "header" and p.get("name", "").lower() == "authorization" for p in params):
                statuses.add(401)
            if params or "requestBody" in operation:
                statuses.add(422)
            if path in _CHARGING:
                statuses.add(503)
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                answer = responses.setdefault(str(status), _error_answer(status))
                answer["content"] = {"application/json": {"schema": _ERROR_REF}}  # never HTTPValidationError
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in components and unused not in str(document.get("paths")):
            del components[unused]
    return document


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the document lists for the address ``path`` (HEAD wherever GET is)."""
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        regex, _, _ = compile_path(template)
        if regex.match(path):
            methods |= {method.upper() for method in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install_contract(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_document(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    async def method_not_allowed(request: Request, _exc: Exception) -> JSONResponse:
        allow = ", ".join(allowed_methods(app, request.url.path))
        body = {"error": {"code": "method_not_allowed", "message": f"This address takes {allow or 'no'} requests."}}
        return JSONResponse(body, status_code=405, headers={"Allow": allow})

    # A 405 arrives as Starlette's HTTPException; a handler for the status wins over the one for the class.
    app.add_exception_handler(405, method_not_allowed)
