"""SUNAT unreachable: contingency queue, automatic resend in numbering order, 1033, worker restarts."""

import httpx
from sqlmodel import select

from core.db import session_scope
from integrations.storage import get_storage
from integrations.sunat.see_client import ClienteSee, ProveedorSee, endpoints_sandbox
from models.facturacion import Comprobante
from services.facturacion_sunat import nombre_sunat
from tests.conftest import BackgroundWorker
from tests.facturacion.conftest import factura

RUC_EMISOR = "20100066603"


def _recibidos(sunat) -> list[str]:
    filas = httpx.get(f"{sunat.control_url}/_sandbox/comprobantes", timeout=10).json()
    return [f"{f['serie']}-{f['numero']}" for f in filas]


def _cola(client, headers) -> list[str]:
    res = client.get("/api/facturacion/cola-contingencia/", headers=headers)
    assert res.status_code == 200
    return [f"{c['serie']}-{c['numero']}" for c in res.json()["items"]]


def test_sunat_caido_cola_y_reenvio_automatico_en_orden(client, admin_headers, worker, sunat, emitir, esperar):
    sunat.modo("caido")
    ids = [emitir(factura(descripcion=f"Servicio {i}"))["id"] for i in range(3)]
    for cid in ids:
        esperar(cid, "CONTINGENCIA")
    assert _cola(client, admin_headers) == ["F001-1", "F001-2", "F001-3"]
    fallido = client.get(f"/api/facturacion/comprobantes/{ids[0]}/", headers=admin_headers).json()
    assert fallido["envios_sunat"][0]["estado"] == "NO_DISPONIBLE"

    sunat.modo("normal")  # no manual step: the workflows' timers resend
    for cid in ids:
        assert esperar(cid, "ACEPTADO")["codigo_respuesta"] == "0"
    assert _recibidos(sunat) == ["F001-1", "F001-2", "F001-3"]
    assert _cola(client, admin_headers) == []


def test_ya_registrado_1033_recupera_el_cdr(client, admin_headers, worker, sunat, emitir, esperar):
    """The document reached SUNAT but we never got the answer: the resend gets 1033 and the workflow
    fetches the existing CDR with getStatusCdr instead of failing."""
    sunat.modo("caido")
    c = esperar(emitir()["id"], "CONTINGENCIA")
    with session_scope() as s:
        comprobante = s.get(Comprobante, c["id"])
        nombre, xml = nombre_sunat(RUC_EMISOR, comprobante), get_storage().get(comprobante.xml_path)
    sunat.modo("normal")
    directo = ProveedorSee(ClienteSee(endpoints_sandbox(sunat.base_url), RUC_EMISOR, "MODDATOS", "moddatos"))
    assert directo.enviar_comprobante(nombre, xml).codigo == "0"

    c = esperar(c["id"], "ACEPTADO")
    assert c["codigo_respuesta"] == "0"
    assert client.get(f"/api/facturacion/comprobantes/{c['id']}/cdr/", headers=admin_headers).status_code == 200
    assert _recibidos(sunat) == ["F001-1"]


def test_worker_detenido_a_mitad_se_reanuda_sin_duplicar(client, admin_headers, db, temporal_address, sunat,
                                                         emitir, esperar):
    primero = BackgroundWorker(temporal_address).start()
    sunat.modo("caido")
    c = esperar(emitir()["id"], "CONTINGENCIA")
    xml_antes = client.get(f"/api/facturacion/comprobantes/{c['id']}/xml/", headers=admin_headers).content
    primero.stop()

    sunat.modo("normal")
    segundo = BackgroundWorker(temporal_address).start()
    try:
        final = esperar(c["id"], "ACEPTADO", archivo="pdf")
    finally:
        segundo.stop()
    assert (final["serie"], final["numero"], final["hash"]) == ("F001", 1, c["hash"])
    assert client.get(f"/api/facturacion/comprobantes/{c['id']}/xml/", headers=admin_headers).content == xml_antes
    carpeta = get_storage().root / "comprobantes" / "01" / "F001"  # type: ignore[attr-defined]
    assert sorted(p.name for p in carpeta.glob("*.xml")) == ["20100066603-01-F001-1.xml"]
    assert _recibidos(sunat) == ["F001-1"]
    with session_scope() as s:
        assert len(s.exec(select(Comprobante)).all()) == 1
