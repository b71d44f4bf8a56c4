"""RingCentral's error bodies (docs/ringcentral.md, Errors and Tokens): one function per kind, the
shapes seen on the wire.

Pure data builders. They must never include a token, a secret or a request body in a message.
"""

from __future__ import annotations

from typing import Any

from runner.rc import wire


def api_error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "errorCode": code,
        "message": message,
        "errors": [{"errorCode": code, "message": message, **extra}],
    }


def token_invalid(nested: str, message: str) -> dict[str, Any]:
    return {
        "errorCode": wire.TOKEN_INVALID,
        "message": "OAuth token is invalid",
        "errors": [{"errorCode": nested, "message": message}],
    }


def no_authorization() -> dict[str, Any]:
    return {"errorCode": wire.NO_AUTHORIZATION, "message": "Authorization header is not specified"}


def insufficient_permissions(permission: str) -> dict[str, Any]:
    message = f"In order to call this API endpoint, application needs to have [{permission}] permission"
    return {
        "errorCode": wire.INSUFFICIENT_PERMISSIONS,
        "message": message,
        "errors": [{"errorCode": wire.PERMISSION_REQUIRED, "message": message, "permissionName": permission}],
        "permissionName": permission,
    }


def missing_parameter(name: str) -> dict[str, Any]:
    message = f"Parameter [{name}] is not specified"
    return {
        "errorCode": wire.INVALID_PARAMETER,
        "message": message,
        "parameterName": name,
        "errors": [{"errorCode": wire.INVALID_PARAMETER, "message": message, "parameterName": name}],
    }


def invalid_parameter(name: str, missing: bool) -> dict[str, Any]:
    """RingCentral's answer to a request its spec refuses: CMN-101 naming the parameter."""
    if missing:
        return missing_parameter(name)
    message = f"Parameter [{name}] value is invalid"
    return {
        "errorCode": wire.INVALID_PARAMETER,
        "message": message,
        "parameterName": name,
        "errors": [{"errorCode": wire.INVALID_PARAMETER, "message": message, "parameterName": name}],
    }


def not_found(parameter: str, value: str) -> dict[str, Any]:
    message = f"Resource for parameter [{parameter}] is not found"
    return api_error(wire.RESOURCE_NOT_FOUND, message, parameterName=parameter, parameterValue=value)


def authorize_refused(name: str, missing: bool) -> dict[str, Any]:
    """A bad authorization request: OAuth's ``invalid_request``, with the ``errors`` list naming the
    parameter that the spec documents for this endpoint's 400."""
    detail = invalid_parameter(name, missing)
    return {**oauth_error("invalid_request", detail["message"]), "errors": detail["errors"]}


def subscriptions_limit_exceeded() -> dict[str, Any]:
    # RingCentral's reference lists 403 SUB-505 for a user's subscription past the app's limit.
    return api_error(wire.SUBSCRIPTIONS_LIMIT, "Subscriptions limit exceeded")


# The code is ours: RingCentral's docs list none for 405, and a look-alike CMN code would mislead.
METHOD_NOT_ALLOWED = "MethodNotAllowed"


def method_not_allowed(method: str) -> dict[str, Any]:
    return api_error(METHOD_NOT_ALLOWED, f"HTTP method {method[:16]} is not allowed for this resource")


# Ours too: RingCentral documents no code for a body over its size limit.
TOO_LARGE = "RequestEntityTooLarge"


def too_large(limit: int) -> dict[str, Any]:
    return api_error(TOO_LARGE, f"Request body is larger than {limit} bytes")


def malformed_body() -> dict[str, Any]:
    return api_error(wire.INVALID_PARAMETER, "Malformed JSON body")


def invalid_uri() -> dict[str, Any]:
    return api_error(wire.INVALID_URI, "Invalid URI")


def rate_exceeded() -> dict[str, Any]:
    return api_error(wire.RATE_EXCEEDED, "Request rate exceeded")


def service_unavailable() -> dict[str, Any]:
    return api_error(wire.SERVICE_UNAVAILABLE, "Service temporarily unavailable")


def oauth_error(error: str, description: str, code: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": error, "error_description": description}
    if code:
        body["errors"] = [{"errorCode": code, "message": description}]
    return body
