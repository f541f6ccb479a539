"""Every request body refuses fields the ERP does not know and text a document cannot carry (400 naming
the field, nothing written)."""

import pytest
from fastapi.testclient import TestClient

from api.main import create_app


def _request_schemas() -> list[tuple[str, str]]:
    """(operation, component) for every JSON request body in the OpenAPI, nested models included."""
    spec = create_app().openapi()
    components = spec["components"]["schemas"]
    found: set[tuple[str, str]] = set()

    def walk(operation: str, node: object) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref and (operation, ref) not in found:
                found.add((operation, ref))
                walk(operation, components[ref.rsplit("/", 1)[1]])
            for value in node.values():
                walk(operation, value)
        elif isinstance(node, list):
            for value in node:
                walk(operation, value)

    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                walk(f"{method.upper()} {path}", content["schema"])
    return sorted(found)


@pytest.mark.parametrize(("operation", "ref"), _request_schemas())
def test_every_request_body_refuses_unknown_fields(operation: str, ref: str) -> None:
    schema = create_app().openapi()["components"]["schemas"][ref.rsplit("/", 1)[1]]
    if schema.get("type") == "object":
        assert schema.get("additionalProperties") is False, f"{operation}: {ref} must inherit core.schemas.Entrada"


def test_unknown_field_is_refused_naming_it(client: TestClient, admin_headers: dict[str, str]) -> None:
    body = {"nombre": "Almacén X", "sucursal_id": 1, "detraccion": {"codigo": "037"}}
    res = client.post("/api/almacenes/", json=body, headers=admin_headers)
    assert res.status_code == 400, res.text
    assert [e["field"] for e in res.json()["errors"]] == ["detraccion"]
    assert all(a["nombre"] != "Almacén X" for a in client.get("/api/almacenes/", headers=admin_headers).json()["items"])


@pytest.mark.parametrize(("escape", "reason"), [
    ("\\u0000", "U+0000"), ("\\u0007", "U+0007"), ("\\u001b", "U+001B"), ("\\ufffe", "U+FFFE"),
    ("\\ud800", "unicode"),  # a lone surrogate is refused by the JSON decoding itself
])
def test_text_a_document_cannot_carry_is_refused(client: TestClient, admin_headers: dict[str, str],
                                                  escape: str, reason: str) -> None:
    raw = '{"tipo_doc": "6", "numero_doc": "20100066603", "razon_social": "ACME' + escape + ' SAC"}'
    res = client.post("/api/clientes/", content=raw, headers={**admin_headers, "content-type": "application/json"})
    assert res.status_code == 400, res.text
    assert res.json()["errors"][0]["field"] == "razon_social"
    assert reason in res.json()["errors"][0]["message"]
    assert client.get("/api/clientes/?q=ACME", headers=admin_headers).json()["items"] == []
