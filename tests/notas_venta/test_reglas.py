"""Spec 003 rules that need no workflow: RUT, the annual correlative, totals, edits and the DB lock."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import session_scope
from core.errors import ValidationError
from services import notas_venta as nv
from services.rut import normalize_rut
from tests.notas_venta.conftest import RUT_CLIENTE, crear, documento


def _admin() -> nv.Operador:
    with session_scope() as s:
        admin_id = s.execute(text("SELECT id FROM usuarios WHERE email = 'admin@test.pe'")).scalar_one()
    return nv.Operador(admin_id, "Administrador", "admin@test.pe", "10.0.0.9", "pytest-agent")


# --- RUT --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "normalized"), [
    ("76086428-5", "76.086.428-5"),
    ("76.086.428-5", "76.086.428-5"),
    (" 760864285 ", "76.086.428-5"),
    ("10000013k", "10.000.013-K"),  # check digit K, lower case accepted
    ("10.000.013-K", "10.000.013-K"),
    ("1000005-K", "1.000.005-K"),  # 7-digit body
    ("12.345.678-5", "12.345.678-5"),
])
def test_valid_ruts_are_normalized(raw, normalized):
    assert normalize_rut(raw) == normalized


@pytest.mark.parametrize("raw", ["12.345.678-9", "10000013-0", "76086428-K", "abc", "", "1-9", "12.345.678-55"])
def test_invalid_ruts_are_refused_naming_the_field(raw):
    with pytest.raises(ValidationError) as err:
        normalize_rut(raw)
    assert err.value.field == "customer_rut"


def test_api_refuses_invalid_rut_with_400_and_writes_nothing(client, admin_headers):
    res = client.post("/api/notas-venta/", json=documento(customer_rut="12.345.678-9"), headers=admin_headers)
    assert res.status_code == 400
    assert res.json()["errors"][0]["field"] == "customer_rut"
    assert "dígito verificador" in res.json()["message"]
    assert crear(client, admin_headers)["nv_number"] == "001-2025"  # the refused note consumed no number


def test_api_stores_the_normalized_rut(client, admin_headers):
    assert crear(client, admin_headers, customer_rut="760864285")["customer_rut"] == RUT_CLIENTE


# --- correlative ------------------------------------------------------------------------------


def test_correlative_counts_per_year_and_restarts_at_001(client, admin_headers):
    numbers = [crear(client, admin_headers, issue_date=d)["nv_number"]
               for d in ("2025-01-02", "2025-06-30", "2025-12-31", "2026-01-01", "2025-12-31", "2026-03-01")]
    assert numbers == ["001-2025", "002-2025", "003-2025", "001-2026", "004-2025", "002-2026"]


def test_correlative_goes_past_999(client, admin_headers):
    with session_scope() as s:
        s.execute(text("INSERT INTO sales_note_sequences (year, last_seq) VALUES (2025, 998)"))
    assert [crear(client, admin_headers)["nv_number"] for _ in range(2)] == ["999-2025", "1000-2025"]


def test_default_issue_date_is_today_in_santiago(client, admin_headers):
    nota = crear(client, admin_headers, issue_date=None)
    today = nv.today_santiago()
    assert nota["issue_date"] == today.isoformat() and nota["nv_number"] == f"001-{today.year}"


def test_duplicate_number_is_refused_by_the_database(client, admin_headers):
    crear(client, admin_headers)
    with pytest.raises(DBAPIError, match="uq_sales_notes_year_seq"), session_scope() as s:
        s.execute(text("INSERT INTO sales_notes (nv_year, nv_seq, status, version, issue_date, customer_rut, "
                       "customer_razon_social, customer_giro, customer_direccion, customer_comuna, customer_ciudad,"
                       " customer_contacto, forma_pago, proyecto, presupuesto, observaciones, vendedor, vat_rate, "
                       "neto, iva, total) VALUES (2025, 1, 'draft', 1, '2025-01-01', 'x', 'x', '', '', '', '', "
                       "'', '', '', '', '', '', 0.19, 0, 0, 0)"))


def test_fifty_concurrent_creations_get_001_to_050(live_server, admin_headers):
    headers = {"Authorization": admin_headers["Authorization"]}

    def create(_: int) -> str:
        with httpx.Client(base_url=live_server.url, timeout=60) as http:
            res = http.post("/api/notas-venta/", json=documento(), headers=headers)
            assert res.status_code == 201, res.text
            return res.json()["nv_number"]

    with ThreadPoolExecutor(max_workers=50) as pool:
        numbers = list(pool.map(create, range(50)))
    assert sorted(numbers) == [f"{n:03d}-2025" for n in range(1, 51)]
    with session_scope() as s:
        assert s.execute(text("SELECT last_seq FROM sales_note_sequences WHERE year = 2025")).scalar_one() == 50


# --- totals -----------------------------------------------------------------------------------


def test_totals_19_percent_in_whole_pesos_half_up(client, admin_headers):
    # 2 × 150.000 + 45.000 − 10 % = 340.500 neto; IVA 64.695 exactly.
    nota = crear(client, admin_headers)
    assert (nota["neto"], nota["iva"], nota["total"]) == ("340500.00", "64695.00", "405195.00")
    assert [i["line_total"] for i in nota["items"]] == ["300000.00", "40500.00"]
    # neto 150 → IVA 28,5 → 29 (half up; banker's rounding would give 28)
    half = crear(client, admin_headers, items=[{"description": "x", "quantity": "1", "unit_price": "150"}])
    assert (half["neto"], half["iva"], half["total"]) == ("150.00", "29.00", "179.00")
    # a line of 3 × 33,335 = 100,005 → 100 pesos; IVA 19
    frac = crear(client, admin_headers, items=[{"description": "x", "quantity": "3", "unit_price": "33.34"}])
    assert (frac["neto"], frac["iva"], frac["total"]) == ("100.00", "19.00", "119.00")


def test_line_and_tax_rounding_functions():
    assert nv.line_total(Decimal("1"), Decimal("0.50"), Decimal("0")) == Decimal("1")
    assert nv.line_total(Decimal("1"), Decimal("0.49"), Decimal("0")) == Decimal("0")
    assert nv.totals([Decimal("1002")], Decimal("0.19")) == (Decimal("1002"), Decimal("190"), Decimal("1192"))
    assert nv.totals([Decimal("1003")], Decimal("0.19")) == (Decimal("1003"), Decimal("191"), Decimal("1194"))


def test_vat_rate_comes_from_configuration_or_the_note(client, admin_headers):
    res = client.put("/api/notas-venta/configuracion", json={"iva_tasa": "0.10"}, headers=admin_headers)
    assert res.status_code == 200
    assert crear(client, admin_headers)["iva"] == "34050.00"
    exenta = crear(client, admin_headers, vat_rate="0")
    assert (exenta["iva"], exenta["total"]) == ("0.00", "340500.00")


@pytest.mark.parametrize(("field", "value", "error_field"), [
    ("items", [], "items"),
    ("items", [{"description": "x", "quantity": "0", "unit_price": "1"}], "items.0.quantity"),
    ("items", [{"description": "x", "quantity": "1", "unit_price": "-1"}], "items.0.unit_price"),
    ("customer_razon_social", "", "customer_razon_social"),
    ("issue_date", "1999-12-31", "issue_date"),
    ("vat_rate", "1.5", "vat_rate"),
])
def test_bad_input_is_400_naming_the_field(client, admin_headers, field, value, error_field):
    res = client.post("/api/notas-venta/", json=documento(**{field: value}), headers=admin_headers)
    assert res.status_code == 400, res.text
    assert res.json()["errors"][0]["field"] == error_field
    with session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM sales_notes")).scalar_one() == 0


# --- edits and the lock after issue -----------------------------------------------------------


def _issue_directly(nota_id: int) -> None:
    with session_scope() as s:
        nv.issue(s, nota_id, _admin(), f"test-issue-{nota_id}")


def test_put_replaces_the_document_and_keeps_the_year(client, admin_headers):
    nota = crear(client, admin_headers)
    doc = documento(items=[{"description": "Solo asesoría", "quantity": "1", "unit_price": "1000"}],
                    customer_comuna="Providencia")
    res = client.put(f"/api/notas-venta/{nota['id']}", json=doc, headers=admin_headers)
    assert res.status_code == 200
    body = res.json()
    assert (body["total"], body["customer_comuna"], len(body["items"])) == ("1190.00", "Providencia", 1)
    res = client.put(f"/api/notas-venta/{nota['id']}", json={**doc, "issue_date": "2026-01-05"},
                     headers=admin_headers)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "issue_date"


def test_put_on_an_approved_note_withdraws_the_approval(client, admin_headers):
    nota = crear(client, admin_headers)
    with session_scope() as s:
        nv.approve(s, nota["id"], _admin(), "approve-1")
    res = client.put(f"/api/notas-venta/{nota['id']}", json=documento(vendedor="Otra"), headers=admin_headers)
    assert res.status_code == 200
    assert (res.json()["status"], res.json()["approved_by"], res.json()["approved_at"]) == ("draft", None, None)
    audit = client.get(f"/api/notas-venta/{nota['id']}/audit", headers=admin_headers).json()
    assert [a["action"] for a in audit] == ["create", "approve", "update"]
    assert audit[-1]["payload_json"]["aprobacion_retirada"] is True


def test_put_after_issue_is_409_with_the_current_state(client, admin_headers):
    nota = crear(client, admin_headers)
    _issue_directly(nota["id"])
    res = client.put(f"/api/notas-venta/{nota['id']}", json=documento(vendedor="Cambio"), headers=admin_headers)
    assert res.status_code == 409
    assert res.json()["estado_actual"] == "issued"
    assert client.get(f"/api/notas-venta/{nota['id']}", headers=admin_headers).json()["vendedor"] == "Juan Soto"


def test_database_refuses_changing_an_issued_note_except_cancelling_it(client, admin_headers, owner_engine):
    """The triggers refuse even the owner (the app role cannot touch sales_note_audit at all)."""
    nota = crear(client, admin_headers)
    _issue_directly(nota["id"])
    for stmt in (f"UPDATE sales_notes SET total = 1 WHERE id = {nota['id']}",
                 f"UPDATE sales_notes SET status = 'cancelled', total = 1 WHERE id = {nota['id']}",
                 f"UPDATE sales_note_items SET unit_price = 1 WHERE sales_note_id = {nota['id']}",
                 f"INSERT INTO sales_note_items (sales_note_id, position, description, quantity, unit_price, "
                 f"discount_pct, line_total) VALUES ({nota['id']}, 9, 'x', 1, 1, 0, 1)",
                 f"DELETE FROM sales_notes WHERE id = {nota['id']}",
                 "UPDATE sales_note_audit SET actor = 'otro'"):
        with pytest.raises(DBAPIError, match="no puede|no pueden|solo inserción"), owner_engine.begin() as s:
            s.execute(text(stmt))
    with session_scope() as s:
        s.execute(text("UPDATE sales_notes SET status = 'cancelled', cancel_reason = 'error de cliente', "
                       f"cancelled_at = now(), version = version + 1 WHERE id = {nota['id']}"))
    with pytest.raises(DBAPIError, match="no puede"), session_scope() as s:
        s.execute(text(f"UPDATE sales_notes SET cancel_reason = 'otro' WHERE id = {nota['id']}"))
    with session_scope() as s:
        assert s.execute(text(f"SELECT total FROM sales_notes WHERE id = {nota['id']}")).scalar_one() == Decimal(
            "405195.00")


def test_list_filters_by_status_year_and_customer(client, admin_headers):
    a = crear(client, admin_headers)
    crear(client, admin_headers, issue_date="2026-02-01", customer_rut="10000013-K", customer_razon_social="Otra")
    _issue_directly(a["id"])

    def numbers(**params: str) -> list[str]:
        res = client.get("/api/notas-venta/", params=params, headers=admin_headers)
        assert res.status_code == 200
        return [n["nv_number"] for n in res.json()]

    assert numbers(status="issued") == ["001-2025"]
    assert numbers(year="2026") == ["001-2026"]
    assert numbers(customer="10000013k") == ["001-2026"]
    assert numbers(customer="andes") == ["001-2025"]


def test_permissions(client, admin_headers, make_user):
    _, vendedor = make_user("VENDEDOR")
    _, cajero = make_user("CAJERO")
    nota = crear(client, vendedor)
    assert client.get(f"/api/notas-venta/{nota['id']}", headers=cajero).status_code == 403
    assert client.post(f"/api/notas-venta/{nota['id']}/approve", headers=vendedor).status_code == 403
    assert client.put("/api/notas-venta/configuracion", json={"url": "x"}, headers=vendedor).status_code == 403
    assert client.get("/api/notas-venta/").status_code == 401
