"""The schema documents every error answer of every operation, with the contract's error shape."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

ALWAYS = ("400", "401", "403", "404", "409", "429", "503")
WITH_BODY = ("413", "415")


@pytest.fixture(scope="module")
def openapi() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_documents_its_error_answers(openapi):
    operations = 0
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            operations += 1
            answers = operation["responses"]
            expected = ALWAYS + (WITH_BODY if method in ("post", "put", "patch") else ())
            for code in expected:
                assert code in answers, f"{method.upper()} {path} lacks {code}"
                schema = answers[code]["content"]["application/json"]["schema"]
                # A view may describe its own 400 body; every other error is the shared shape.
                if code != "400":
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, code)
    assert operations > 40


def test_error_shape_is_detail_code_and_optional_errors(openapi):
    error = openapi["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "detail"}
    assert set(error["properties"]) == {"detail", "code", "errors"}
    assert error["properties"]["errors"]["additionalProperties"]["items"]["type"] == "string"


@pytest.mark.django_db
def test_quick_actions_answer_the_list_the_schema_describes(api, openapi):
    operation = openapi["paths"]["/api/v1/dashboard/quick-actions/"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["type"] == "array"
    body = api.get("/api/v1/dashboard/quick-actions").json()
    assert isinstance(body, list) and body
    assert set(body[0]) >= {"id", "title", "description", "url"}
