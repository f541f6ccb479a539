"""Module 4 GRE remitente: the DespatchAdvice (UBL 2.1, XSD-valid once signed, signature verifies), SUNAT's GRE
REST API as the local sandbox speaks it (token, send, ticket 98 → 0/99, signed CDR, rejections), and the
dispatch workflow on the real worker: accepted before EN_RUTA, a rejection blocking EN_RUTA with its reason,
a failing token endpoint retried."""

import asyncio
import io
import time
from datetime import date
from datetime import time as hora
from decimal import Decimal

import httpx
import pypdfium2
import pytest
from lxml import etree
from pyzbar.pyzbar import decode
from sqlalchemy import text

from core.db import session_scope
from integrations.sunat import firma, gre_client, xsd
from integrations.sunat.cdr import extraer_xml_de_zip, leer_cdr
from integrations.sunat.documento import Adquirente, Direccion, Emisor
from integrations.sunat.gre_client import Credenciales
from integrations.sunat.guia import Conductor, GuiaRemision, LineaGuia, Punto, construir_guia
from tests.distribucion.fixtures import chofer

pytest_plugins = ["tests.distribucion.fixtures"]

RUC = "20000000001"
NS = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
      "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
_PFX, _CLAVE = firma.generar_certificado_demo(RUC, "EMPRESA DEMO S.A.C.")


def guia(numero: int = 1, **cambios: object) -> GuiaRemision:
    g = GuiaRemision(
        serie="T001", numero=numero, fecha_emision=date(2026, 12, 1), hora_emision=hora(9, 30),
        emisor=Emisor(RUC, "EMPRESA DEMO S.A.C.", Direccion("AV. LIMA 123", "150101")),
        destinatario=Adquirente("1", "45454545", "María Quispe"), motivo_traslado="01",
        fecha_inicio_traslado=date(2026, 12, 1), peso_bruto=Decimal("12.5"), partida=Punto("150101", "Jr. Lampa 900"),
        llegada=Punto("150122", "Av. Larco 345, Miraflores"), lineas=[LineaGuia("ARZ-5", "Arroz 5 kg", Decimal("2"))],
        placa="ABC123", conductor=Conductor("1", "45678912", "Juan", "Pérez Soto", "Q45678912"))
    for campo, valor in cambios.items():
        setattr(g, campo, valor)
    return g


def firmada(g: GuiaRemision) -> bytes:
    return firma.firmar_xml(construir_guia(g), _PFX, _CLAVE)[0]


def test_gre_xml_is_a_valid_signed_despatch_advice():
    xml = firmada(guia())
    assert xsd.validar(xml) == []
    firma.verificar_firma(xml)
    raiz = etree.fromstring(xml)
    assert etree.QName(raiz).localname == "DespatchAdvice"
    assert [raiz.findtext(f"cbc:{t}", namespaces=NS) for t in ("UBLVersionID", "CustomizationID", "ID",
                                                                "DespatchAdviceTypeCode")] == ["2.1", "2.0",
                                                                                               "T001-1", "09"]
    envio = raiz.find("cac:Shipment", NS)
    assert envio.findtext("cbc:HandlingCode", namespaces=NS) == "01"
    assert envio.find("cbc:GrossWeightMeasure", NS).get("unitCode") == "KGM"
    assert envio.findtext("cbc:GrossWeightMeasure", namespaces=NS) == "12.50"
    assert envio.findtext("cac:ShipmentStage/cbc:TransportModeCode", namespaces=NS) == "02"
    assert envio.findtext("cac:ShipmentStage/cac:TransitPeriod/cbc:StartDate", namespaces=NS) == "2026-12-01"
    assert envio.findtext("cac:ShipmentStage/cac:DriverPerson/cac:IdentityDocumentReference/cbc:ID",
                          namespaces=NS) == "Q45678912"
    assert envio.findtext("cac:TransportHandlingUnit/cac:TransportEquipment/cbc:ID", namespaces=NS) == "ABC123"
    assert envio.findtext("cac:Delivery/cac:DeliveryAddress/cbc:ID", namespaces=NS) == "150122"
    assert envio.findtext("cac:Delivery/cac:Despatch/cac:DespatchAddress/cbc:ID", namespaces=NS) == "150101"
    alterado = xml.replace(b"Arroz 5 kg", b"Arroz 9 kg")
    with pytest.raises(firma.FirmaInvalida):
        firma.verificar_firma(alterado)

    moto = etree.fromstring(firmada(guia(vehiculo_m1l=True)))  # M1/L: the indicator, no vehicle or driver
    assert moto.findtext("cac:Shipment/cbc:SpecialInstructions", namespaces=NS) == \
        "SUNAT_Envio_IndicadorTrasladoVehiculoM1L"
    assert moto.find("cac:Shipment/cac:ShipmentStage/cac:DriverPerson", NS) is None
    assert moto.find("cac:Shipment/cac:TransportHandlingUnit", NS) is None


def _credenciales(clave: str = "moddatos", secreto: str = "sandbox-gre-secret") -> Credenciales:
    return Credenciales(RUC, "MODDATOS", clave, "sandbox-gre", secreto)


def _hasta_final(c: Credenciales, ticket: str) -> tuple[list[str], gre_client.EstadoEnvio]:
    vistos = []
    for _ in range(10):
        estado = gre_client.consultar(c, ticket)
        vistos.append(estado.codigo)
        if estado.codigo != gre_client.EN_PROCESO:
            return vistos, estado
    raise AssertionError(f"ticket {ticket} still in process: {vistos}")


def test_sandbox_speaks_the_gre_api_token_send_ticket_cdr_and_rejections(gre_sunat):
    gre_sunat.reset()
    with pytest.raises(gre_client.CredencialesRechazadas, match="401"):  # bad SOL key: 401 JSON, as SUNAT
        gre_client.enviar(_credenciales(clave="otra"), f"{RUC}-09-T001-1", firmada(guia()))
    res = httpx.post(f"{gre_sunat.base_url}/v1/clientessol/sandbox-gre/oauth2/token/", data={
        "grant_type": "password", "scope": gre_client.SCOPE, "client_id": "sandbox-gre", "client_secret": "x",
        "username": f"{RUC}MODDATOS", "password": "moddatos"})
    assert res.status_code == 401 and res.json()["error"] == "invalid_client"

    c = _credenciales()
    vistos, estado = _hasta_final(c, gre_client.enviar(c, f"{RUC}-09-T001-1", firmada(guia())))
    assert vistos == ["98", "0"]  # in process first, then accepted
    cdr = leer_cdr(estado.cdr)
    assert cdr.codigo == "0" and cdr.documento_id == "T001-1" and "aceptada" in cdr.descripcion
    firma.verificar_firma(extraer_xml_de_zip(estado.cdr)[1])  # the CDR is signed like the SEE one

    casos = {2: (guia(2, peso_bruto=Decimal("0")), "2523"),  # weight 0
             3: (guia(3, llegada=Punto("999999", "Av. Larco 345")), "2776"),  # arrival ubigeo that does not exist
             4: (guia(4, placa=""), "2566"),  # private transport without the vehicle
             9: (guia(9, conductor=Conductor("1", "", "Juan", "Pérez", "")), "3357"),  # nor its main driver
             1: (guia(1), "1033")}  # the number was taken by the accepted GRE
    for numero, (g, codigo) in casos.items():
        _, estado = _hasta_final(c, gre_client.enviar(c, f"{RUC}-09-T001-{numero}", firmada(g)))
        assert (estado.codigo, estado.error_codigo) == ("99", codigo), (numero, estado)
        assert (estado.cdr is not None) == (codigo != "1033")  # a rejection has its CDR, an exception not
    sin_peso = construir_guia(guia(5)).replace(b'<cbc:GrossWeightMeasure unitCode="KGM">12.50</cbc:GrossWeightMeasure>',
                                               b"")
    _, estado = _hasta_final(c, gre_client.enviar(c, f"{RUC}-09-T001-5", firma.firmar_xml(sin_peso, _PFX, _CLAVE)[0]))
    assert estado.error_codigo == "2880"
    version_1 = construir_guia(guia(10)).replace(b"<cbc:CustomizationID>2.0<", b"<cbc:CustomizationID>1.0<")
    assert version_1 != construir_guia(guia(10))
    _, estado = _hasta_final(c, gre_client.enviar(c, f"{RUC}-09-T001-10", firma.firmar_xml(version_1, _PFX, _CLAVE)[0]))
    assert estado.error_codigo == "2112"  # the pre-2022 GRE version
    _, estado = _hasta_final(c, gre_client.enviar(c, f"{RUC}-09-T001-6", firmada(guia(7))))
    assert estado.error_codigo == "1036"  # the XML's number is not the file's

    token = httpx.post(f"{gre_sunat.base_url}/v1/clientessol/sandbox-gre/oauth2/token/", data={
        "grant_type": "password", "scope": gre_client.SCOPE, "client_id": "sandbox-gre",
        "client_secret": "sandbox-gre-secret", "username": f"{RUC}MODDATOS", "password": "moddatos"}).json()
    res = httpx.post(f"{gre_sunat.base_url}/v1/contribuyente/gem/comprobantes/{RUC}-09-T001-8",
                     headers={"Authorization": f"Bearer {token['access_token']}"},
                     json={"archivo": {"nomArchivo": f"{RUC}-09-T001-8.zip", "hashZip": "0" * 64,
                                       "arcGreZip": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}})
    assert res.status_code == 422 and res.json()["errors"][0]["cod"]  # a file SUNAT cannot take: no ticket


# --- the dispatch workflow on the real worker ---------------------------------------------------------------------


def _gre(despacho, pedido_id: int, *estados: str, timeout: float = 30.0) -> dict:
    limite = time.monotonic() + timeout
    while True:
        res = despacho.client.get(f"/api/pedidos/{pedido_id}/gre/", headers=despacho.admin)
        if res.status_code == 200 and res.json()["estado"] in estados:
            return res.json()
        assert time.monotonic() < limite, res.text
        time.sleep(0.1)


def _planificado(despacho, make_user, placa: str, **pedido: object) -> dict:
    p = despacho.producto(f"P-{placa}", peso=str(pedido.pop("peso", "2.5")))
    orden = despacho.pedido(p, "2", **({"ubigeo": "150122", "distrito": "Miraflores"} | pedido))
    transportista, _ = chofer(despacho, make_user, placa)
    ruta = despacho.ruta(transportista)
    res = despacho.client.post(f"/api/rutas/{ruta}/asignar/", headers=despacho.admin,
                               json={"pedidos": [orden["id"]]})
    assert res.status_code == 200, res.text
    return orden


async def _en_ruta_en_el_workflow(temporal_client, pedido_id: int) -> None:
    """The workflow applied the EN_RUTA update (so the worker stops with nothing in flight)."""
    handle = temporal_client.get_workflow_handle(f"pedido-{pedido_id}")
    limite = time.monotonic() + 30
    while await handle.query("estado_actual") != "EN_RUTA":
        assert time.monotonic() < limite
        await asyncio.sleep(0.1)


async def test_gre_accepted_on_the_real_worker_before_the_order_goes_en_ruta(despacho, make_user, gre_sunat, worker,
                                                                             temporal_client):
    pedido = _planificado(despacho, make_user, "GRE-101")
    guia_ = await asyncio.to_thread(_gre, despacho, pedido["id"], "ACEPTADA")
    assert guia_["serie"] == "T001" and guia_["numero"] == 1 and guia_["ticket"] and guia_["codigo_respuesta"] == "0"
    assert guia_["peso_bruto"] == "5.000" and guia_["ubigeo_llegada"] == "150122" and guia_["placa"] == "GRE-101"
    cdr = despacho.client.get(f"/api/guias-remision/{guia_['id']}/cdr/", headers=despacho.admin)
    assert cdr.status_code == 200 and leer_cdr(cdr.content).codigo == "0"  # the CDR is stored
    xml = despacho.client.get(f"/api/guias-remision/{guia_['id']}/xml/", headers=despacho.admin).content
    firma.verificar_firma(xml)
    assert xsd.validar(xml) == []
    pdf = despacho.client.get(f"/api/guias-remision/{guia_['id']}/pdf/", headers=despacho.admin)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    pagina = pypdfium2.PdfDocument(io.BytesIO(pdf.content))[0]
    assert "T001-1" in pagina.get_textpage().get_text_range()
    (qr,) = decode(pagina.render(scale=4).to_pil())  # SUNAT's link from the CDR, not a factura's pipe text
    assert qr.data.decode() == leer_cdr(cdr.content).enlace and "descargaqr?hashqr=" in qr.data.decode()
    res = despacho.estado(pedido["id"], "EN_RUTA")
    assert res.status_code == 200 and res.json()["estado"] == "EN_RUTA"
    assert [r["numero"] for r in gre_sunat.servidor.sandbox.almacen.listar() if r["tipo"] == "09"] == [1]
    await _en_ruta_en_el_workflow(temporal_client, pedido["id"])


async def test_a_rejected_gre_blocks_en_ruta_with_sunats_reason(despacho, make_user, gre_sunat, worker):
    sin_peso = _planificado(despacho, make_user, "GRE-201", peso="0")  # products without weight: gross weight 0
    guia_ = await asyncio.to_thread(_gre, despacho, sin_peso["id"], "RECHAZADA")
    assert guia_["codigo_respuesta"] == "2523" and guia_["cdr_path"]
    res = despacho.estado(sin_peso["id"], "EN_RUTA")
    assert res.status_code == 409 and res.json()["errors"][0]["field"] == "gre"
    assert "rechazó la GRE T001-1" in res.json()["message"] and "2523" in res.json()["message"]
    sin_ubigeo = _planificado(despacho, make_user, "GRE-202", ubigeo="")  # nothing to number: ERROR, reason
    guia_ = await asyncio.to_thread(_gre, despacho, sin_ubigeo["id"], "ERROR")
    assert guia_["numero"] is None and "ubigeo" in guia_["mensaje_respuesta"]
    res = despacho.estado(sin_ubigeo["id"], "EN_RUTA")
    assert res.status_code == 409 and "ubigeo de llegada" in res.json()["message"]
    with session_scope() as s:
        assert s.execute(text("SELECT count(*) FROM notificaciones WHERE tipo = 'GRE_RECHAZADA'")).scalar() == 2
        assert s.execute(text("SELECT estado FROM pedidos WHERE id = :p"), {"p": sin_peso["id"]}).scalar() == \
            "PLANIFICADO"


async def test_a_failing_token_endpoint_is_retried_until_sunat_answers(despacho, make_user, gre_sunat, worker):
    from integrations.sunat import oauth

    oauth.olvidar_token("sandbox-gre")
    gre_sunat.modo("error_5xx")  # api-seguridad answers 503
    pedido = _planificado(despacho, make_user, "GRE-301")

    def intentos() -> int:
        return httpx.get(f"{gre_sunat.control_url}/_sandbox/gre", timeout=5).json()["token"]

    limite = time.monotonic() + 20
    while await asyncio.to_thread(intentos) < 2:  # tried and retried by the activity's policy
        assert time.monotonic() < limite
        await asyncio.sleep(0.1)
    assert despacho.estado(pedido["id"], "EN_RUTA").status_code == 409  # not dispatched meanwhile
    gre_sunat.modo("normal")
    guia_ = await asyncio.to_thread(_gre, despacho, pedido["id"], "ACEPTADA")
    assert guia_["estado"] == "ACEPTADA" and guia_["codigo_respuesta"] == "0"  # EN_RUTA now passes (tested above)
