"""Fixtures: a sandbox on loopback, a SEE client pointed at it, and signed UBL documents.

Documents are built with ``integrations.sunat.ubl`` and signed with ``integrations.sunat.firma``
when that module is available; otherwise with a local XMLDSig signer (same shape: enveloped
signature inside ``ext:ExtensionContent``, X509 certificate embedded).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.sunat import firma
from integrations.sunat.documento import (
    Adquirente,
    BajaLinea,
    Comprobante,
    ComunicacionBaja,
    Direccion,
    Emisor,
    Linea,
)
from integrations.sunat.sandbox import SandboxConfig, sandbox_en_hilo
from integrations.sunat.sandbox.servidor import SandboxEnEjecucion
from integrations.sunat.see_client import ClienteSee, ProveedorSee, endpoints_sandbox
from integrations.sunat.ubl import construir, construir_xml

RUC_EMISOR = "20000000001"
RUC_CLIENTE = "20100047218"  # in the sandbox padrón
RUC_NO_INSCRITO = "20601030021"  # checksum-valid, not in the padrón

_PFX, _PASSWORD = firma.generar_certificado_demo(RUC_EMISOR, "EMPRESA DEMO S.A.C.")


def firmar(xml: bytes) -> bytes:
    return firma.firmar_xml(xml, _PFX, _PASSWORD)[0]


def comprobante(numero: int, *, cliente: str = RUC_CLIENTE, serie: str = "F001", tipo: str = "01",
                descripcion: str = "Servicio de consultoría") -> Comprobante:
    emisor = Emisor(RUC_EMISOR, "EMPRESA DEMO S.A.C.", Direccion("AV. LIMA 123", ubigeo="150101"))
    adquirente = Adquirente("6", cliente, "CLIENTE DEMO S.A.")
    linea = Linea("P001", descripcion, Decimal("2"), Decimal("100.00"))
    return Comprobante(tipo, serie, numero, date.today(), emisor, adquirente, [linea])


def factura_firmada(numero: int, **opciones: object) -> tuple[str, bytes]:
    c = comprobante(numero, **opciones)  # type: ignore[arg-type]
    return f"{RUC_EMISOR}-{c.tipo_documento}-{c.serie}-{numero}", firmar(construir_xml(c))


def baja_firmada(numero_factura: int, correlativo: int = 1) -> tuple[str, bytes]:
    emisor = Emisor(RUC_EMISOR, "EMPRESA DEMO S.A.C.", Direccion("AV. LIMA 123", ubigeo="150101"))
    baja = ComunicacionBaja(
        correlativo=correlativo, fecha_referencia=date.today(), fecha_generacion=date.today(), emisor=emisor,
        lineas=[BajaLinea("01", "F001", numero_factura, "ERROR EN DATOS")],
    )
    return baja.nombre_archivo, firmar(construir(baja))


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnEjecucion]:
    data_dir: Path = tmp_path_factory.mktemp("sunat-sandbox")
    with sandbox_en_hilo(data_dir, SandboxConfig(data_dir=data_dir)) as sb:
        yield sb


@pytest.fixture
def sb(sandbox: SandboxEnEjecucion) -> Iterator[SandboxEnEjecucion]:
    sandbox.modo("normal")
    yield sandbox
    sandbox.modo("normal")


@pytest.fixture
def cliente(sb: SandboxEnEjecucion) -> ClienteSee:
    return ClienteSee(endpoints_sandbox(sb.base_url), RUC_EMISOR, "MODDATOS", "moddatos", timeout_lectura=5)


@pytest.fixture
def proveedor(cliente: ClienteSee) -> ProveedorSee:
    return ProveedorSee(cliente)


@pytest.fixture
def numerador() -> Callable[[], int]:
    """Unique document numbers across the session (the sandbox remembers everything)."""
    return _siguiente


_contador = iter(range(1, 10_000_000))


def _siguiente() -> int:
    return next(_contador)
