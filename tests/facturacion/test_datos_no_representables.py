"""Issue 18.2: text an XML cannot carry never leaves a document stuck for good.

Rows are written the way the API wrote them before it refused such text (directly in the database), then
the real worker and the local SUNAT sandbox take over: the document reaches estado ERROR with the reason,
is listed for operators (API and Temporal's Estado), is corrected through the API and then accepted with
the same number."""

import asyncio
import time
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import text
from temporalio.service import RPCError

from core.db import session_scope
from core.temporal import ESTADO, connect
from services import facturacion as svc
from tests.conftest import BackgroundWorker
from tests.facturacion.conftest import RUC_CLIENTE, factura


def _sql(sentencia: str, **params: object) -> None:
    with session_scope() as s:
        s.execute(text(sentencia), params)


def _estado_temporal(address: str, workflow_id: str) -> str | None:
    async def leer() -> str | None:
        client = await connect(address)
        try:
            descripcion = await client.get_workflow_handle(workflow_id).describe()
        except RPCError:  # not started yet by the outbox relay
            return None
        return descripcion.typed_search_attributes.get(ESTADO)

    return asyncio.run(leer())


def _hasta(condicion: Callable[[], object], timeout: float = 30.0) -> object:
    limite = time.monotonic() + timeout
    while not (valor := condicion()):
        assert time.monotonic() < limite, "timed out"
        time.sleep(0.2)
    return valor


def _recibidos(sunat) -> list[str]:
    filas = httpx.get(f"{sunat.control_url}/_sandbox/comprobantes", timeout=10).json()
    return [f"{f['serie']}-{f['numero']}" for f in filas]


def test_factura_con_texto_no_representable_va_a_error_se_lista_se_corrige_y_se_acepta(
        client, admin_headers, db, temporal_address, sunat, emitir, esperar):
    c = emitir()  # numbered F001-1; no worker yet, so its XML is not built
    _sql("UPDATE comprobantes SET cliente_razon_social = :r WHERE id = :id", r="CLIENTE\x07 DEMO", id=c["id"])
    _sql("UPDATE detalle_comprobante SET descripcion = :d WHERE comprobante_id = :id", d="Servicio\x1b",
         id=c["id"])
    worker = BackgroundWorker(temporal_address).start()
    try:
        error = esperar(c["id"], "ERROR")
        assert "adquirente.nombre" in error["mensaje_respuesta"] and "U+0007" in error["mensaje_respuesta"]
        listados = client.get("/api/facturacion/con-error/", headers=admin_headers).json()
        assert [x["id"] for x in listados["comprobantes"]] == [c["id"]]
        assert _hasta(lambda: _estado_temporal(temporal_address, "comprobante-01-F001-1") == "ERROR")
        assert client.get(f"/api/facturacion/comprobantes/{c['id']}/xml/", headers=admin_headers).status_code == 404

        # A correction that still holds a bad character is refused, naming the field.
        malo = client.patch(f"/api/facturacion/comprobantes/{c['id']}/", headers=admin_headers,
                            json={"cliente_razon_social": "CLIENTE\x01"})
        assert malo.status_code == 400 and malo.json()["errors"][0]["field"] == "cliente_razon_social"

        res = client.patch(f"/api/facturacion/comprobantes/{c['id']}/", headers=admin_headers, json={
            "cliente_razon_social": "CLIENTE DEMO S.A.C.", "lineas": [{"orden": 1, "descripcion": "Servicio"}]})
        assert res.status_code == 202, res.text
        final = esperar(c["id"], "ACEPTADO", archivo="pdf")
        assert (final["serie"], final["numero"], final["cliente_razon_social"]) == ("F001", 1,
                                                                                    "CLIENTE DEMO S.A.C.")
        assert final["mensaje_respuesta"] != error["mensaje_respuesta"]
        assert client.get("/api/facturacion/con-error/", headers=admin_headers).json()["comprobantes"] == []
        assert _hasta(lambda: _estado_temporal(temporal_address, "comprobante-01-F001-1") == "ACEPTADO")
        # Numbering stays gapless: the next factura is F001-2, and SUNAT got each number once.
        siguiente = esperar(emitir()["id"], "ACEPTADO")
        assert siguiente["numero"] == 2
        assert _recibidos(sunat) == ["F001-1", "F001-2"]
        # Once signed, a document is corrected with a nota, not edited.
        again = client.patch(f"/api/facturacion/comprobantes/{c['id']}/", headers=admin_headers,
                             json={"cliente_razon_social": "OTRO"})
        assert again.status_code == 409
    finally:
        worker.stop()


def test_baja_con_motivo_no_representable_va_a_error_se_corrige_y_anula(
        client, admin_headers, db, temporal_address, sunat, emitir, esperar):
    worker = BackgroundWorker(temporal_address).start()
    try:
        c = esperar(emitir()["id"], "ACEPTADO")
    finally:
        worker.stop()
    baja = client.post(f"/api/facturacion/comprobantes/{c['id']}/anular/", headers=admin_headers,
                       json={"motivo": "Error en el RUC"})
    assert baja.status_code == 202, baja.text
    _sql("UPDATE comunicaciones_baja SET motivo = :m WHERE comprobante_id = :id", m="Error\x01", id=c["id"])
    worker = BackgroundWorker(temporal_address).start()
    try:
        workflow_id = baja.json()["workflow_id"]
        assert _hasta(lambda: _estado_temporal(temporal_address, workflow_id) == "ERROR")
        listados = client.get("/api/facturacion/con-error/", headers=admin_headers).json()
        assert [b["comprobante_id"] for b in listados["bajas"]] == [c["id"]]
        assert "U+0001" in listados["bajas"][0]["mensaje_respuesta"]
        assert esperar(c["id"], "POR_ANULAR")["estado_sunat"] == "POR_ANULAR"

        res = client.patch(f"/api/facturacion/bajas/{listados['bajas'][0]['id']}/", headers=admin_headers,
                           json={"motivo": "Error en el RUC"})
        assert res.status_code == 202, res.text
        esperar(c["id"], "ANULADO")
        assert client.get("/api/facturacion/con-error/", headers=admin_headers).json()["bajas"] == []
        assert _hasta(lambda: _estado_temporal(temporal_address, workflow_id) == "ACEPTADO")
    finally:
        worker.stop()


@pytest.mark.parametrize("campo", ["razon_social", "direccion"])
def test_cliente_guardado_con_texto_no_representable_se_rechaza_antes_de_numerar(session, campo):
    """Data that never came through a request body (a customer stored before the fix, an offline sale)
    is checked before a number is used: 400 naming the field, the series untouched."""
    datos = {"razon_social": "CLIENTE DEMO S.A.C.", "direccion": "AV. LIMA 1"} | {campo: "MAL\x0b"}
    cliente = svc.ClienteDatos("6", RUC_CLIENTE, **datos)
    linea = factura()["lineas"][0]
    lineas = [svc.LineaDatos(linea["codigo_producto"], linea["descripcion"], Decimal(2), Decimal(100))]
    with pytest.raises(svc.ValidationError) as err:
        svc.emitir(session, svc.DatosEmision(cliente, lineas))
    assert err.value.field == f"cliente.{campo}"
    session.rollback()
    assert session.execute(text("SELECT count(*) FROM comprobantes")).scalar_one() == 0
    assert session.execute(text("SELECT count(*) FROM series")).scalar_one() == 0
