"""The OpenAPI schema says every answer the API can give, and only signed-in people may read it.

`VURAutoSchema` (the project's DEFAULT_SCHEMA_CLASS) adds the error answers to every operation
once, instead of per view: 400, 401, 403, 404, 409, 429 and 503 everywhere, 413 and 415 on the
methods that take a body, each with the contract's `{"detail", "code", "errors"?}` body. The
schema and Swagger UI views require authentication; an anonymous browser is sent to sign in.
"""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every 4xx/5xx answer: one sentence, a machine code, and per-field messages when invalid."""

    detail = serializers.CharField(help_text="One clear sentence.")
    code = serializers.CharField(help_text="A machine-readable code, e.g. validation_error.")
    # The contract's field name; it shadows Serializer.errors, which this schema-only
    # serializer never validates.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field -> messages, for validation errors.",
    )


ERROR_ANSWERS = {
    "400": "The input is not valid (validation_error, invalid_input, ...).",
    "401": "Not signed in, or the token is invalid or expired.",
    "403": "Signed in by session without a valid CSRF token.",
    "404": "No such object, or it belongs to someone else.",
    "409": "The object is in a state that does not allow this action.",
    "413": "The body or file is over a configured limit.",
    "415": "The body's media type is not accepted.",
    "429": "Too many requests or active jobs; see the Retry-After header.",
    "503": "A dependency (database, broker) is unavailable; nothing was changed.",
}
BODY_ONLY = ("413", "415")


class VURAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the error answers every operation can give."""

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        takes_body = self.method in ("POST", "PUT", "PATCH")
        ref = self.resolve_serializer(ErrorSerializer, "response").ref
        for code, description in ERROR_ANSWERS.items():
            if code in responses or (code in BODY_ONLY and not takes_body):
                continue
            responses[code] = {
                "content": {"application/json": {"schema": ref}},
                "description": description,
            }
        return responses
