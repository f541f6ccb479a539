"""The API is a typed contract, checked by walking every operation of /openapi.json: every request body
refuses fields the ERP does not know and text a document cannot carry (400 naming the field, nothing written);
every JSON answer has a named schema; lists are one Pagina shape; errors are declared with the one error body."""

from functools import cache

import pytest
from fastapi.testclient import TestClient

from api.main import PUBLIC_ROUTES, create_app

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@cache
def _spec() -> dict:
    return create_app().openapi()


def _operations() -> list[tuple[str, str]]:
    return [(method.upper(), path) for path, methods in _spec()["paths"].items() for method in methods]


def _op(method: str, path: str) -> dict:
    return _spec()["paths"][path][method.lower()]


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = _spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _is_named_object(schema: dict) -> bool:
    """A component with declared properties (not `{}`, not `dict[str, Any]`), or an array of them."""
    if schema.get("type") == "array":
        return _is_named_object(schema.get("items", {}))
    return "$ref" in schema and bool(_resolve(schema).get("properties"))


def _request_schemas() -> list[tuple[str, str]]:
    """(operation, component) for every JSON request body in the OpenAPI, nested models included."""
    spec = _spec()
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
    schema = _spec()["components"]["schemas"][ref.rsplit("/", 1)[1]]
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


def _enteros(schema: dict) -> list[dict]:
    """The integer schemas a parameter or property accepts (itself, an Optional's branch, a list's items)."""
    return [s for s in (schema, *schema.get("anyOf", []), schema.get("items", {})) if s.get("type") == "integer"]


def test_every_integer_input_is_bounded() -> None:
    """Ids and other integers in paths, queries and bodies are core.schemas.Id / Id8 / Entero (or carry their own
    `le=`): an out-of-range number is a 400 naming the field, not a PostgreSQL overflow."""
    sueltos = [f"{m} {p}: {param['name']}" for m, p in _operations() for param in _op(m, p).get("parameters", [])
               for s in _enteros(param.get("schema", {})) if "maximum" not in s]
    sueltos += [f"{op}: {ref.rsplit('/', 1)[1]}.{prop}" for op, ref in _request_schemas()
                for prop, s in _resolve({"$ref": ref}).get("properties", {}).items()
                for e in _enteros(s) if "maximum" not in e]
    assert sueltos == []


@pytest.mark.parametrize(("method", "path"), _operations())
def test_every_answer_has_a_declared_schema(method: str, path: str) -> None:
    """2xx JSON answers are named models with properties; file downloads declare their media type."""
    ok = {code: r for code, r in _op(method, path)["responses"].items() if code.startswith("2")}
    assert ok, f"{method} {path}: no success response declared"
    for code, response in ok.items():
        content = response.get("content", {})
        if code == "204":
            assert not content, f"{method} {path}: 204 has no body"
            continue
        assert content, f"{method} {path}: {code} declares no content"
        for media, body in content.items():
            if media == "application/json":
                assert _is_named_object(body.get("schema", {})), f"{method} {path}: {code} has no response model"
            else:
                assert media in {"application/pdf", "application/xml", "application/zip", XLSX, "text/plain"}, media
                if media != "text/plain":  # Meta's webhook handshake echoes hub.challenge as text
                    assert body["schema"] == {"type": "string", "format": "binary"}


@pytest.mark.parametrize(("method", "path"), [op for op in _operations() if op[0] == "GET"])
def test_lists_are_one_page_shape_with_the_same_parameters(method: str, path: str) -> None:
    """A GET never answers a bare JSON array: collections are Pagina[...] with ?limit=&offset=."""
    schema = _op(method, path)["responses"]["200"].get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return  # a file download
    assert schema.get("type") != "array", f"{method} {path}: a list must be a Pagina[...]"
    nombre = schema.get("$ref", "").split("/")[-1]
    if nombre.startswith(("Pagina_", "PaginaCursor_")):
        fields = set(_resolve(schema)["properties"])
        params = {p["name"] for p in _op(method, path).get("parameters", []) if p["in"] == "query"}
        assert {"limit", "offset"} <= params, f"{method} {path}: lists take ?limit=&offset="
        if nombre.startswith("PaginaCursor_"):  # keyset lists (the books): Pagina + siguiente, ?cursor=
            assert fields == {"items", "total", "limit", "offset", "siguiente"}, f"{method} {path}: not PaginaCursor"
            assert "cursor" in params, f"{method} {path}: a keyset list takes ?cursor="
        else:
            assert fields == {"items", "total", "limit", "offset"}, f"{method} {path}: not the Pagina shape"


@pytest.mark.parametrize(("method", "path"), _operations())
def test_errors_are_declared_with_the_one_error_body(method: str, path: str) -> None:
    op = _op(method, path)
    codes = set(op["responses"])
    errores = {c for c in codes if c[0] in "45"}
    if (method, path) not in PUBLIC_ROUTES:
        assert {"401", "403"} <= codes, f"{method} {path}: authenticated operations declare 401 and 403"
    if op.get("parameters") or op.get("requestBody"):
        assert "400" in codes, f"{method} {path}: operations with input declare 400"
    if path.startswith("/api/"):
        assert "503" in codes, f"{method} {path}: operations on the database declare 503"
        assert errores <= {"400", "401", "403", "404", "409", "422", "429", "503"}
        for code in errores:
            schema = op["responses"][code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}, f"{method} {path}: {code} is not ErrorOut"
    assert "HTTPValidationError" not in _spec()["components"]["schemas"]  # validation answers 400 ErrorOut


def test_the_error_model_is_what_the_api_answers(client: TestClient, admin_headers: dict[str, str]) -> None:
    from core.schemas import ErrorOut

    for res in (client.get("/api/clientes/999999/", headers=admin_headers),
                client.get("/api/clientes/"),
                client.post("/api/almacenes/", json={"nombre": ""}, headers=admin_headers)):
        assert res.status_code in (400, 401, 404), res.text
        ErrorOut.model_validate(res.json())
