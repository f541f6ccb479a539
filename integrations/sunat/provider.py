"""The interface the billing workflow uses to talk to SUNAT, whatever is behind it.

Two implementations exist:

* ``ProveedorSee`` (:mod:`integrations.sunat.see_client`): the SUNAT SEE SOAP web services
  (``billService`` / ``billConsultService``), also used for an OSE and for the local sandbox.
* ``ProveedorNubefact`` (:mod:`integrations.sunat.nubefact`): the Nubefact JSON API.

Outcomes are split in two channels:

* a returned :class:`ResultadoEnvio` whenever SUNAT *decided* about the document
  (ACEPTADO, OBSERVADO or RECHAZADO — a rejection burns the number);
* an exception (:class:`SunatError` subclasses) when there is no decision: the service was
  unavailable, the request itself was wrong, or the number was already registered.

See ``docs/sunat-transporte.md`` for the code classification table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from core.settings import Settings


class EstadoSunat(StrEnum):
    ACEPTADO = "ACEPTADO"
    OBSERVADO = "OBSERVADO"  # accepted with observations (codes 4000+)
    RECHAZADO = "RECHAZADO"  # codes 2000-3999: the number is used, emit a new document


@dataclass(frozen=True)
class Observacion:
    codigo: str
    mensaje: str


@dataclass
class ResultadoEnvio:
    estado: EstadoSunat
    codigo: str
    mensaje: str
    observaciones: list[Observacion] = field(default_factory=list)
    cdr_zip: bytes | None = None

    @property
    def aceptado(self) -> bool:
        return self.estado in (EstadoSunat.ACEPTADO, EstadoSunat.OBSERVADO)


# --------------------------------------------------------------------------- errors


class SunatError(Exception):
    """No decision from SUNAT about the document. ``reintentable`` tells the workflow what to do."""

    reintentable = False

    def __init__(self, mensaje: str, codigo: str | None = None, detalle: str = ""):
        super().__init__(f"{codigo} - {mensaje}" if codigo else mensaje)
        self.codigo = codigo
        self.mensaje = mensaje
        self.detalle = detalle


class SunatNoDisponible(SunatError):
    """Connection refused, timeout, HTTP 5xx or a "servicio no disponible" fault. Retry later.

    After a timeout of ``sendBill`` SUNAT may have registered the document anyway: query
    ``consultar_cdr`` before resending, or expect :class:`SunatYaRegistrado` on the resend.
    """

    reintentable = True


class SunatTimeout(SunatNoDisponible):
    """The request was sent but no answer arrived in time (read/write timeout)."""


class SunatRechazo(SunatError):
    """A rejection (2000-3999, plus 1083) delivered as a SOAP fault instead of a CDR."""


class SunatYaRegistrado(SunatError):
    """1033 (registered before with other data), 1032 (informed in a baja), 2223 (file already
    presented): the number is taken. Retrieve the existing CDR with ``consultar_cdr``."""


class SunatErrorEnvio(SunatError):
    """Other 0100-1999 exceptions: the document was *not* informed. Most need a fix
    (credentials, file name, XML); the retryable ones are flagged per code."""

    def __init__(self, mensaje: str, codigo: str | None = None, detalle: str = "", reintentable: bool = False):
        super().__init__(mensaje, codigo, detalle)
        self.reintentable = reintentable


class SunatCdrNoEncontrado(SunatErrorEnvio):
    """``getStatusCdr`` found no CDR for that document (0127 / 0011)."""


# --------------------------------------------------------------------------- interface


@runtime_checkable
class ProveedorSunat(Protocol):
    def enviar_comprobante(self, nombre: str, xml_firmado: bytes) -> ResultadoEnvio:
        """``nombre`` is ``RUC-TT-SERIE-NUMERO`` (no extension)."""
        ...

    def enviar_resumen(self, nombre: str, xml: bytes) -> str:
        """Resumen diario (RC), comunicación de baja (RA) or reversión (RR). Returns the ticket."""
        ...

    def consultar_ticket(self, ticket: str) -> ResultadoEnvio | None:
        """``None`` while SUNAT is still processing (statusCode 98)."""
        ...

    def consultar_cdr(self, ruc: str, tipo: str, serie: str, numero: int) -> ResultadoEnvio:
        ...


@dataclass(frozen=True)
class ConfigProveedor:
    """Per-company credentials. ``proveedor`` is ``see`` (SUNAT/OSE/sandbox SOAP) or ``nubefact``."""

    ruc: str
    proveedor: str = "see"
    usuario_sol: str = ""  # without the RUC prefix, e.g. MODDATOS
    clave_sol: str = ""
    nubefact_url: str = ""
    nubefact_token: str = ""
    timeout_lectura: float = 30.0


def proveedor_desde_config(config: ConfigProveedor, settings: Settings | None = None) -> ProveedorSunat:
    """Build the provider for a company. Endpoints come from settings (``sunat_env`` & co.)."""
    if config.proveedor == "nubefact":
        from integrations.sunat.nubefact import ProveedorNubefact

        return ProveedorNubefact(config.nubefact_url, config.nubefact_token, timeout_lectura=config.timeout_lectura)
    if config.proveedor != "see":
        raise ValueError(f"proveedor SUNAT desconocido: {config.proveedor!r}")
    from core.settings import get_settings
    from integrations.sunat.see_client import ClienteSee, ProveedorSee, endpoints_desde_settings

    endpoints = endpoints_desde_settings(settings or get_settings())
    cliente = ClienteSee(
        endpoints,
        ruc=config.ruc,
        usuario_sol=config.usuario_sol,
        clave_sol=config.clave_sol,
        timeout_lectura=config.timeout_lectura,
    )
    return ProveedorSee(cliente)
