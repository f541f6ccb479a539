"""Gapless, unique numbering under concurrency; the UNIQUE constraint; validation before numbering."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.db import get_engine, session_scope
from models.facturacion import Comprobante
from services import facturacion
from tests.facturacion.conftest import boleta, factura


def _datos(i: int) -> facturacion.DatosEmision:
    cliente = facturacion.ClienteDatos("6", "20100047218", "CLIENTE DEMO S.A.C.")
    linea = facturacion.LineaDatos("P001", f"Servicio {i}", Decimal("1"), Decimal("10.00"))
    return facturacion.DatosEmision(cliente, [linea])


def _emitir(i: int) -> int:
    with Session(get_engine(), expire_on_commit=False) as s:
        return facturacion.emitir(s, _datos(i)).numero


def test_100_emisiones_concurrentes_reciben_1_a_100(db):
    with ThreadPoolExecutor(max_workers=16) as pool:
        numeros = list(pool.map(_emitir, range(100)))
    assert sorted(numeros) == list(range(1, 101))
    with session_scope() as s:
        assert s.execute(text("SELECT ultimo_numero FROM series WHERE tipo = '01' AND serie = 'F001'")).scalar() == 100
        en_bd = s.execute(text("SELECT numero FROM comprobantes ORDER BY numero")).scalars().all()
        assert en_bd == list(range(1, 101))
        workflows = s.execute(text("SELECT count(DISTINCT workflow_id) FROM outbox WHERE workflow = "
                                   "'EmitirComprobante'")).scalar()
        assert workflows == 100


def test_misma_serie_y_numero_rechazado_por_la_bd(db):
    numero = _emitir(0)
    with pytest.raises(IntegrityError, match="uq_comprobantes_tipo_serie_numero"), session_scope() as s:
        s.add(Comprobante(tipo="01", serie="F001", numero=numero, fecha_emision=date.today(), hora_emision=time(),
                          cliente_tipo_doc="6", cliente_numero_doc="20100047218", cliente_razon_social="X"))


def test_ruc_invalido_es_400_y_no_consume_numero(client, admin_headers):
    body = factura(ruc="20100047219")  # wrong check digit
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 400
    assert res.json()["errors"][0]["field"] == "cliente.numero_documento"
    body = factura()
    body["lineas"][0]["unidad_medida"] = "XYZ"
    res = client.post("/api/facturacion/emitir/", json=body, headers=admin_headers)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "lineas.0.unidad_medida"
    res = client.post("/api/facturacion/emitir/", json={**factura(), "lineas": [{"codigo_producto": "P",
                      "descripcion": "x", "cantidad": "0", "valor_unitario": "1"}]}, headers=admin_headers)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "lineas.0.cantidad"
    with session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM series")).scalar() == 0
        assert s.execute(text("SELECT count(*) FROM comprobantes")).scalar() == 0
        assert s.execute(text("SELECT count(*) FROM outbox")).scalar() == 0
    assert client.post("/api/facturacion/emitir/", json=factura(), headers=admin_headers).json()["numero"] == 1


def test_factura_requiere_ruc_y_permisos(client, admin_headers, make_user):
    body = factura()
    body["cliente"] = {"tipo_documento": "1", "numero_documento": "45678912", "razon_social": "JUAN PEREZ"}
    res = client.post("/api/facturacion/emitir/", json={**body, "tipo": "01"}, headers=admin_headers)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "cliente.tipo_documento"
    _, vendedor = make_user("VENDEDOR")
    assert client.post("/api/facturacion/emitir/", json=factura(), headers=vendedor).status_code == 403
    assert client.get("/api/facturacion/comprobantes/", headers=vendedor).status_code == 403
    assert client.get("/api/facturacion/comprobantes/").status_code == 401


def test_listado_con_filtros(client, admin_headers):
    for body in (factura(), boleta()):
        assert client.post("/api/facturacion/emitir/", json=body, headers=admin_headers).status_code == 201

    def documentos(**params: str) -> list[str]:
        res = client.get("/api/facturacion/comprobantes/", params=params, headers=admin_headers)
        assert res.status_code == 200, res.text
        assert res.json()["total"] == len(res.json()["items"])
        return sorted(f"{c['serie']}-{c['numero']}" for c in res.json()["items"])

    hoy = client.get("/api/facturacion/comprobantes/", headers=admin_headers).json()["items"][0]["fecha_emision"]
    assert documentos() == ["B001-1", "F001-1"]
    assert documentos(tipo="03") == ["B001-1"]
    assert documentos(cliente="juan") == ["B001-1"] and documentos(cliente="20100047218") == ["F001-1"]
    assert documentos(estado="PENDIENTE", fecha_desde=hoy, fecha_hasta=hoy) == ["B001-1", "F001-1"]
    assert documentos(estado="ACEPTADO") == [] and documentos(fecha_desde="2999-01-01") == []
    res = client.get("/api/facturacion/comprobantes/", params={"tipo": "99"}, headers=admin_headers)
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "tipo"
