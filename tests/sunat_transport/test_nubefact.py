"""Nubefact provider against the sandbox's local Nubefact-protocol server."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from integrations.sunat.nubefact import ProveedorNubefact, ubl_a_nubefact
from integrations.sunat.provider import (
    ConfigProveedor,
    EstadoSunat,
    SunatCdrNoEncontrado,
    SunatErrorEnvio,
    SunatNoDisponible,
    SunatYaRegistrado,
    proveedor_desde_config,
)
from integrations.sunat.sandbox.nubefact_local import TOKEN_DEMO
from integrations.sunat.sandbox.servidor import SandboxEnEjecucion
from tests.sunat_transport.conftest import RUC_CLIENTE, RUC_NO_INSCRITO, baja_firmada, factura_firmada


@pytest.fixture
def nubefact(sb: SandboxEnEjecucion) -> ProveedorNubefact:
    proveedor = proveedor_desde_config(
        ConfigProveedor(ruc="20000000001", proveedor="nubefact", nubefact_url=sb.nubefact_url,
                        nubefact_token=TOKEN_DEMO, timeout_lectura=5)
    )
    assert isinstance(proveedor, ProveedorNubefact)
    return proveedor


def test_json_desde_ubl(numerador: Callable[[], int]) -> None:
    numero = numerador()
    nombre, xml = factura_firmada(numero)
    datos = ubl_a_nubefact(nombre, xml)
    assert datos["operacion"] == "generar_comprobante"
    assert (datos["tipo_de_comprobante"], datos["serie"], datos["numero"]) == (1, "F001", numero)
    assert datos["cliente_tipo_de_documento"] == "6" and datos["cliente_numero_de_documento"] == RUC_CLIENTE
    assert datos["total"] == "236.00" and datos["total_igv"] == "36.00"
    assert datos["items"][0]["tipo_de_igv"] == 1 and Decimal(datos["items"][0]["cantidad"]) == 2


def test_generar_y_consultar(nubefact: ProveedorNubefact, numerador: Callable[[], int]) -> None:
    numero = numerador()
    resultado = nubefact.enviar_comprobante(*factura_firmada(numero))
    assert resultado.estado is EstadoSunat.ACEPTADO and resultado.codigo == "0"
    with pytest.raises(SunatYaRegistrado):
        nubefact.enviar_comprobante(*factura_firmada(numero))
    assert nubefact.consultar_cdr("20000000001", "01", "F001", numero).estado is EstadoSunat.ACEPTADO


def test_rechazo(nubefact: ProveedorNubefact, numerador: Callable[[], int]) -> None:
    resultado = nubefact.enviar_comprobante(*factura_firmada(numerador(), cliente=RUC_NO_INSCRITO))
    assert resultado.estado is EstadoSunat.RECHAZADO and resultado.codigo == "1083"


def test_anulacion_por_ticket(nubefact: ProveedorNubefact, numerador: Callable[[], int]) -> None:
    numero = numerador()
    nubefact.enviar_comprobante(*factura_firmada(numero))
    ticket = nubefact.enviar_resumen(*baja_firmada(numero, numerador()))
    assert ticket.startswith("nubefact-baja:")
    assert nubefact.consultar_ticket(ticket) is None
    resultado = nubefact.consultar_ticket(ticket)
    assert resultado is not None and resultado.estado is EstadoSunat.ACEPTADO


def test_errores(sb: SandboxEnEjecucion, nubefact: ProveedorNubefact) -> None:
    with pytest.raises(SunatCdrNoEncontrado):
        nubefact.consultar_cdr("20000000001", "01", "F001", 987_654)
    malo = ProveedorNubefact(sb.nubefact_url, "otro-token")
    with pytest.raises(SunatErrorEnvio) as error:
        malo.consultar_cdr("20000000001", "01", "F001", 1)
    assert error.value.codigo == "10"
    caido = ProveedorNubefact("http://127.0.0.1:9/api/v1/x", TOKEN_DEMO)
    with pytest.raises(SunatNoDisponible):
        caido.consultar_cdr("20000000001", "01", "F001", 1)
