"""Domain error types and the one DRF exception handler that turns errors into the contract's body.

Every 4xx answer is `{"detail": "<one sentence>", "code": "<machine_code>"}`, plus `errors`
(field -> messages) for validation failures.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class VURError(Exception):
    """Base of the errors services raise; carries the HTTP status and machine code."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.errors = errors


class InvalidInput(VURError):
    """The request is well-formed but its content cannot be used."""

    code = "invalid_input"


class NotFound(VURError):
    """The object does not exist or belongs to someone else."""

    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class Conflict(VURError):
    """The object is in a state that does not allow this action."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


def in_use(subject: str, blockers: list[str], advice: str, code: str) -> Conflict:
    """The 409 a delete answers while `subject` ("The dataset") is in use: what holds it, one
    sentence of what to do first, and the blockers listed in `errors.in_use`."""
    return Conflict(
        f"{subject} is in use: {'; '.join(blockers)}. {advice}",
        code=code,
        errors={"in_use": blockers},
    )


class ModelNotDeployed(Conflict):
    """Only deployed models answer predictions."""

    code = "model_not_deployed"


class PayloadTooLarge(VURError):
    """An upload over the configured size limit."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "file_too_large"


class ServiceUnavailable(VURError):
    """A dependency (e.g. the task broker) is down; the client may retry later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "service_unavailable"


class TooManyRequests(VURError):
    """The user already has as much work queued or running as one person may; retry later."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "too_many_active_jobs"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None):
        super().__init__(detail, code=code)
        self.retry_after = int(retry_after)


def _first_message(errors: Any) -> str:
    if isinstance(errors, dict):
        for key, value in errors.items():
            msg = _first_message(value)
            if msg:
                return msg if key in ("non_field_errors", "detail") else f"{key}: {msg}"
    elif isinstance(errors, list) and errors:
        return _first_message(errors[0])
    elif errors:
        return str(errors)
    return ""


def _first_code(errors: Any) -> str | None:
    if isinstance(errors, dict):
        errors = next(iter(errors.values()), None)
    if isinstance(errors, list):
        errors = errors[0] if errors else None
    return getattr(errors, "code", None)


def _flatten(errors: Any) -> dict[str, list[str]]:
    if isinstance(errors, dict):
        out: dict[str, list[str]] = {}
        for key, value in errors.items():
            if isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    out[f"{key}.{sub}"] = msgs
            elif isinstance(value, list):
                out[key] = [str(v) if not isinstance(v, dict) else _first_message(v) for v in value]
            else:
                out[key] = [str(value)]
        return out
    return {
        "non_field_errors": [str(e) for e in (errors if isinstance(errors, list) else [errors])]
    }


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Render VURError and DRF errors as `{"detail", "code", "errors"?}`; leave others to DRF."""
    if isinstance(exc, VURError):
        body: dict[str, Any] = {"detail": exc.detail, "code": exc.code}
        if exc.errors:
            body["errors"] = exc.errors
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        response.data = {
            "detail": _first_message(exc.detail) or "The input is not valid.",
            "code": "validation_error",
            "errors": errors,
        }
    elif isinstance(exc, exceptions.APIException):
        detail: Any = exc.detail
        if isinstance(detail, dict | list):
            # Some packages (simplejwt) raise with a dict body: keep its sentence and code.
            code = detail.get("code") if isinstance(detail, dict) else None
            code = code or _first_code(detail) or exc.default_code
            message = _first_message(detail) or str(exc.default_detail)
        else:
            code = getattr(detail, "code", None) or exc.default_code
            message = str(detail)
        response.data = {"detail": message, "code": str(code)}
    return response
