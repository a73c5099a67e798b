"""The OpenAPI schema validates, documents every endpoint, and the docs page is self-contained."""

import re

import pytest
import yaml
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/consent": "get",
    "/api/v1/consent/batch": "post",
    "/api/v1/changes": "get",
    "/api/v1/snapshot": "get",
    "/api/v1/acks": "post",
    "/api/v2/query/urls/": "post",
}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_every_endpoint_is_documented_with_its_errors(schema):
    for path, method in ENDPOINTS.items():
        operation = schema["paths"][path][method]
        assert operation["summary"]
        assert "200" in operation["responses"]
        assert {"401", "403", "429"} <= set(operation["responses"]), path
    assert "413" in schema["paths"]["/api/v1/consent/batch"]["post"]["responses"]
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_the_docs_page_loads_only_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, "the page loads its renderer"
    for source in sources:
        assert not source.startswith(("http://", "https://", "//")), source


def test_generating_the_schema_raises_no_warning(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
