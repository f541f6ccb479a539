"""SEE SOAP client <-> sandbox over real HTTP on loopback."""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from integrations.sunat.cdr import ClaseCodigo, clasificar_codigo, leer_cdr
from integrations.sunat.provider import (
    EstadoSunat,
    SunatCdrNoEncontrado,
    SunatErrorEnvio,
    SunatNoDisponible,
    SunatTimeout,
    SunatYaRegistrado,
)
from integrations.sunat.sandbox import SandboxConfig, sandbox_en_hilo
from integrations.sunat.sandbox.servidor import SandboxEnEjecucion
from integrations.sunat.see_client import ClienteSee, ProveedorSee, clasificar_fault, empaquetar, endpoints_sandbox
from tests.sunat_transport.conftest import (
    RUC_EMISOR,
    RUC_NO_INSCRITO,
    baja_firmada,
    factura_firmada,
)


def test_factura_aceptada_devuelve_cdr_0(proveedor: ProveedorSee, numerador: Callable[[], int]) -> None:
    numero = numerador()
    nombre, xml = factura_firmada(numero)
    resultado = proveedor.enviar_comprobante(nombre, xml)
    assert resultado.estado is EstadoSunat.ACEPTADO, resultado
    assert resultado.codigo == "0"
    cdr = leer_cdr(resultado.cdr_zip or b"")
    assert cdr.documento_id == f"F001-{numero}"
    assert cdr.ruc_receptor == RUC_EMISOR
    assert "ha sido aceptada" in cdr.descripcion
    assert cdr.fecha_respuesta and cdr.hora_respuesta


def test_cdr_del_sandbox_esta_firmado(proveedor: ProveedorSee, numerador: Callable[[], int]) -> None:
    from integrations.sunat.sandbox.verificacion import verificar_firma

    nombre, xml = factura_firmada(numerador())
    resultado = proveedor.enviar_comprobante(nombre, xml)
    assert verificar_firma(leer_cdr(resultado.cdr_zip or b"").xml) is None


def test_nombre_de_archivo_incorrecto(cliente: ClienteSee, numerador: Callable[[], int]) -> None:
    nombre, xml = factura_firmada(numerador())
    _, contenido = empaquetar(nombre, xml)
    with pytest.raises(SunatErrorEnvio) as error:
        cliente.send_bill("factura.zip", contenido)
    assert error.value.codigo == "0151"
    assert not error.value.reintentable


def test_nombre_no_coincide_con_contenido(cliente: ClienteSee, numerador: Callable[[], int]) -> None:
    nombre, xml = factura_firmada(numerador())
    otro = f"{RUC_EMISOR}-01-F001-{numerador()}"
    nombre_zip, contenido = empaquetar(otro, xml)
    with pytest.raises(SunatErrorEnvio) as error:
        cliente.send_bill(nombre_zip, contenido)
    assert error.value.codigo == "1036"


def test_ruc_del_archivo_distinto_al_usuario(sb: SandboxEnEjecucion, numerador: Callable[[], int]) -> None:
    cliente = ClienteSee(endpoints_sandbox(sb.base_url), "20100070970", "MODDATOS", "moddatos")
    nombre, xml = factura_firmada(numerador())
    with pytest.raises(SunatErrorEnvio) as error:
        cliente.send_bill(*empaquetar(nombre, xml))
    assert error.value.codigo == "0154"


def test_credenciales_incorrectas(sb: SandboxEnEjecucion, numerador: Callable[[], int]) -> None:
    cliente = ClienteSee(endpoints_sandbox(sb.base_url), RUC_EMISOR, "MODDATOS", "otra")
    nombre, xml = factura_firmada(numerador())
    with pytest.raises(SunatErrorEnvio) as error:
        cliente.send_bill(*empaquetar(nombre, xml))
    assert error.value.codigo == "0102"


def test_zip_corrupto(cliente: ClienteSee, numerador: Callable[[], int]) -> None:
    with pytest.raises(SunatErrorEnvio) as error:
        cliente.send_bill(f"{RUC_EMISOR}-01-F001-{numerador()}.zip", b"esto no es un zip")
    assert error.value.codigo == "0156"


def test_xml_alterado_es_rechazado_por_firma(proveedor: ProveedorSee, numerador: Callable[[], int]) -> None:
    numero = numerador()
    nombre, xml = factura_firmada(numero, descripcion="Servicio original")
    alterado = xml.replace(b"Servicio original", b"Servicio cambiado")
    resultado = proveedor.enviar_comprobante(nombre, alterado)
    assert resultado.estado is EstadoSunat.RECHAZADO
    assert resultado.codigo == "2335"
    assert leer_cdr(resultado.cdr_zip or b"").codigo == "2335"


def test_ruc_no_inscrito_se_rechaza_y_queda_registrado(proveedor: ProveedorSee, numerador: Callable[[], int]) -> None:
    numero = numerador()
    nombre, xml = factura_firmada(numero, cliente=RUC_NO_INSCRITO)
    resultado = proveedor.enviar_comprobante(nombre, xml)
    assert resultado.estado is EstadoSunat.RECHAZADO
    assert resultado.codigo == "1083"
    consultado = proveedor.consultar_cdr(RUC_EMISOR, "01", "F001", numero)
    assert consultado.estado is EstadoSunat.RECHAZADO and consultado.codigo == "1083"
    # The number is burnt: a corrected document with the same number gets 1033.
    _, corregido = factura_firmada(numero)
    with pytest.raises(SunatYaRegistrado):
        proveedor.enviar_comprobante(nombre, corregido)


def test_reenvio_con_otros_datos_da_1033_y_se_recupera_el_cdr(
    proveedor: ProveedorSee, numerador: Callable[[], int]
) -> None:
    numero = numerador()
    nombre, xml = factura_firmada(numero)
    original = proveedor.enviar_comprobante(nombre, xml)
    _, otro = factura_firmada(numero, descripcion="Otro servicio")
    with pytest.raises(SunatYaRegistrado) as error:
        proveedor.enviar_comprobante(nombre, otro)
    assert error.value.codigo == "1033"
    assert not error.value.reintentable
    recuperado = proveedor.consultar_cdr(RUC_EMISOR, "01", "F001", numero)
    assert recuperado.estado is EstadoSunat.ACEPTADO
    assert recuperado.cdr_zip == original.cdr_zip


def test_consultar_cdr_inexistente(proveedor: ProveedorSee) -> None:
    with pytest.raises(SunatCdrNoEncontrado) as error:
        proveedor.consultar_cdr(RUC_EMISOR, "01", "F999", 999_999)
    assert error.value.codigo == "0127"


def test_resumen_ticket_98_y_luego_0(proveedor: ProveedorSee, numerador: Callable[[], int]) -> None:
    numero = numerador()
    proveedor.enviar_comprobante(*factura_firmada(numero))
    ticket = proveedor.enviar_resumen(*baja_firmada(numero, correlativo=numerador()))
    assert ticket.isdigit()
    assert proveedor.consultar_ticket(ticket) is None  # 98: en proceso
    resultado = proveedor.consultar_ticket(ticket)
    assert resultado is not None and resultado.estado is EstadoSunat.ACEPTADO
    assert leer_cdr(resultado.cdr_zip or b"").codigo == "0"


def test_resumen_repetido_termina_en_99_con_2223(proveedor: ProveedorSee, numerador: Callable[[], int]) -> None:
    numero, correlativo = numerador(), numerador()
    proveedor.enviar_comprobante(*factura_firmada(numero))
    proveedor.enviar_resumen(*baja_firmada(numero, correlativo))
    ticket = proveedor.enviar_resumen(*baja_firmada(numero, correlativo))
    assert proveedor.consultar_ticket(ticket) is None
    resultado = proveedor.consultar_ticket(ticket)
    assert resultado is not None and resultado.estado is EstadoSunat.RECHAZADO and resultado.codigo == "2223"


def test_ticket_inexistente(proveedor: ProveedorSee) -> None:
    with pytest.raises(SunatCdrNoEncontrado) as error:
        proveedor.consultar_ticket("123")
    assert error.value.codigo == "0127"


# --------------------------------------------------------------------------- fault injection


def test_modo_caido_es_conexion_rechazada(sb: SandboxEnEjecucion, proveedor: ProveedorSee,
                                          numerador: Callable[[], int]) -> None:
    sb.modo("caido")
    nombre, xml = factura_firmada(numerador())
    with pytest.raises(SunatNoDisponible) as error:
        proveedor.enviar_comprobante(nombre, xml)
    assert error.value.reintentable
    assert isinstance(error.value.__cause__, httpx.ConnectError)
    sb.modo("normal")
    assert proveedor.enviar_comprobante(nombre, xml).estado is EstadoSunat.ACEPTADO


def test_modo_error_5xx(sb: SandboxEnEjecucion, proveedor: ProveedorSee, numerador: Callable[[], int]) -> None:
    sb.modo("error_5xx", status=502)
    with pytest.raises(SunatNoDisponible, match="502"):
        proveedor.enviar_comprobante(*factura_firmada(numerador()))


def test_modo_lento_provoca_timeout(sb: SandboxEnEjecucion, numerador: Callable[[], int]) -> None:
    cliente = ClienteSee(endpoints_sandbox(sb.base_url), RUC_EMISOR, "MODDATOS", "moddatos", timeout_lectura=0.3)
    sb.modo("lento", segundos=1.5)
    with pytest.raises(SunatTimeout) as error:
        ProveedorSee(cliente).enviar_comprobante(*factura_firmada(numerador()))
    assert isinstance(error.value, SunatNoDisponible) and error.value.reintentable


@pytest.mark.parametrize(
    ("codigo", "estado"),
    [("2800", EstadoSunat.RECHAZADO), ("4287", EstadoSunat.OBSERVADO)],
)
def test_modo_rechazar_fuerza_codigo_en_cdr(sb: SandboxEnEjecucion, proveedor: ProveedorSee,
                                            numerador: Callable[[], int], codigo: str, estado: EstadoSunat) -> None:
    sb.modo("rechazar", codigo=codigo, cantidad=1, mensaje="forzado")
    resultado = proveedor.enviar_comprobante(*factura_firmada(numerador()))
    assert resultado.estado is estado
    if estado is EstadoSunat.OBSERVADO:
        assert resultado.observaciones[0].codigo == codigo
    else:
        assert resultado.codigo == codigo
    # Only one document was affected.
    assert proveedor.enviar_comprobante(*factura_firmada(numerador())).estado is EstadoSunat.ACEPTADO


def test_modo_rechazar_con_codigo_de_servicio_no_disponible(sb: SandboxEnEjecucion, proveedor: ProveedorSee,
                                                            numerador: Callable[[], int]) -> None:
    sb.modo("rechazar", codigo="0135", cantidad=1)
    with pytest.raises(SunatNoDisponible) as error:
        proveedor.enviar_comprobante(*factura_firmada(numerador()))
    assert error.value.codigo == "0135"


# --------------------------------------------------------------------------- protocol details


def test_wsdl(sb: SandboxEnEjecucion) -> None:
    respuesta = httpx.get(sb.bill_url + "?wsdl")
    assert respuesta.status_code == 200
    assert b'targetNamespace="http://service.sunat.gob.pe"' in respuesta.content
    for operacion in (b"sendBill", b"sendSummary", b"getStatus"):
        assert operacion in respuesta.content
    assert b"getStatusCdr" in httpx.get(sb.consulta_url + "?wsdl").content


def test_fault_con_forma_sunat(sb: SandboxEnEjecucion) -> None:
    sobre = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:ser="http://service.sunat.gob.pe"><soapenv:Header/><soapenv:Body><ser:sendBill>'
        "<fileName>x.zip</fileName><contentFile>AA==</contentFile></ser:sendBill></soapenv:Body></soapenv:Envelope>"
    )
    respuesta = httpx.post(sb.bill_url, content=sobre, headers={"Content-Type": "text/xml"})
    assert respuesta.status_code == 500
    assert b"<faultcode>soap-env:Client.0101</faultcode>" in respuesta.content


def test_sandbox_recuerda_tras_reinicio(tmp_path: Path) -> None:
    nombre, xml = factura_firmada(1)
    with sandbox_en_hilo(tmp_path, SandboxConfig(data_dir=tmp_path)) as sb:
        cliente = ClienteSee(endpoints_sandbox(sb.base_url), RUC_EMISOR, "MODDATOS", "moddatos")
        ProveedorSee(cliente).enviar_comprobante(nombre, xml)
    with sandbox_en_hilo(tmp_path, SandboxConfig(data_dir=tmp_path)) as sb:
        cliente = ClienteSee(endpoints_sandbox(sb.base_url), RUC_EMISOR, "MODDATOS", "moddatos")
        with pytest.raises(SunatYaRegistrado):
            ProveedorSee(cliente).enviar_comprobante(nombre, xml)
        assert ProveedorSee(cliente).consultar_cdr(RUC_EMISOR, "01", "F001", 1).estado is EstadoSunat.ACEPTADO


def test_zip_de_envio_tiene_el_nombre_sunat() -> None:
    nombre_zip, contenido = empaquetar("20000000001-01-F001-7", b"<Invoice/>")
    assert nombre_zip == "20000000001-01-F001-7.zip"
    with zipfile.ZipFile(io.BytesIO(contenido)) as zf:
        assert zf.namelist() == ["20000000001-01-F001-7.xml"]
    assert base64.b64encode(contenido)


@pytest.mark.parametrize(
    ("codigo", "tipo", "reintentable"),
    [
        ("0100", SunatNoDisponible, True),
        ("0109", SunatNoDisponible, True),
        ("0133", SunatNoDisponible, True),
        ("0102", SunatErrorEnvio, False),
        ("0151", SunatErrorEnvio, False),
        ("1033", SunatYaRegistrado, False),
        ("1032", SunatYaRegistrado, False),
        (None, SunatNoDisponible, True),
    ],
)
def test_tabla_de_clasificacion(codigo: str | None, tipo: type, reintentable: bool) -> None:
    error = clasificar_fault(codigo, "x")
    assert type(error) is tipo
    assert error.reintentable is reintentable


def test_rango_de_rechazo() -> None:
    from integrations.sunat.provider import SunatRechazo

    assert isinstance(clasificar_fault("2800", "x"), SunatRechazo)
    assert clasificar_codigo("1083") is ClaseCodigo.RECHAZADO
    assert clasificar_codigo("4001") is ClaseCodigo.OBSERVADO
    assert clasificar_codigo("0151") is ClaseCodigo.EXCEPCION


def test_xml_que_no_cumple_xsd(cliente: ClienteSee, numerador: Callable[[], int]) -> None:
    numero = numerador()
    nombre, xml = factura_firmada(numero)
    invalido = xml.replace(b"<cbc:IssueTime>", b"<cbc:Foo>x</cbc:Foo><cbc:IssueTime>", 1)
    with pytest.raises(SunatErrorEnvio) as error:
        cliente.send_bill(*empaquetar(nombre, invalido))
    assert error.value.codigo == "0306"


def test_cli_arranca(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    from core.embedded import free_port

    puerto, control = free_port(), free_port()
    proceso = subprocess.Popen(
        [sys.executable, "-m", "integrations.sunat.sandbox", "--port", str(puerto), "--control-port", str(control),
         "--data-dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{control}/_sandbox/modo").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        assert b"sendBill" in httpx.get(f"http://127.0.0.1:{puerto}/ol-ti-itcpfegem/billService?wsdl").content
    finally:
        proceso.terminate()
        assert proceso.wait(10) == 0
