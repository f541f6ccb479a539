"""SUNAT SEE SOAP client (billService + billConsultService) on httpx.

Protocol (SUNAT "Manual del programador", same for OSEs and for our sandbox):

* SOAP 1.1, document/literal, namespace ``http://service.sunat.gob.pe``; parameters are
  *unqualified* children of the operation element (``<ser:sendBill><fileName>``...).
* WS-Security ``UsernameToken`` header: Username = RUC + usuario SOL, Password (PasswordText) =
  clave SOL.
* ``sendBill(fileName, contentFile)``: zip ``RUC-TT-SERIE-NUMERO.zip`` with
  ``RUC-TT-SERIE-NUMERO.xml``, base64. Returns ``applicationResponse`` (the CDR zip, base64).
* ``sendSummary`` -> ``ticket``; ``getStatus(ticket)`` -> ``status{statusCode, content}`` with
  statusCode 0 (done, CDR), 98 (in process), 99 (done with errors, CDR) or an error code.
* billConsultService ``getStatusCdr(rucComprobante, tipoComprobante, serieComprobante,
  numeroComprobante)`` -> ``statusCdr{statusCode, statusMessage, content}``.
* Errors arrive as SOAP faults (HTTP 500) whose ``faultcode`` carries the code, in forms like
  ``soap-env:Client.0151``, ``ns0:1033`` or plain ``Client`` with the code in ``faultstring``.

Every failure is turned into one of the exceptions of :mod:`integrations.sunat.provider` by
:func:`clasificar_fault` (table in ``docs/sunat-transporte.md``).
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from lxml import etree

from integrations.sunat.cdr import (
    CdrInvalido,
    ClaseCodigo,
    clasificar_codigo,
    normalizar_codigo,
    resultado_desde_cdr,
)
from integrations.sunat.provider import (
    EstadoSunat,
    ResultadoEnvio,
    SunatCdrNoEncontrado,
    SunatError,
    SunatErrorEnvio,
    SunatNoDisponible,
    SunatRechazo,
    SunatTimeout,
    SunatYaRegistrado,
)

if TYPE_CHECKING:
    from core.settings import Settings

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_SERVICIO = "http://service.sunat.gob.pe"
NS_WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
PASSWORD_TEXT = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
)

# --------------------------------------------------------------------------- endpoints

BETA_BILL = "https://e-beta.sunat.gob.pe/ol-ti-itcpfegem-beta/billService"
PRODUCCION_BILL = "https://e-factura.sunat.gob.pe/ol-ti-itcpfegem/billService"
PRODUCCION_CONSULTA = "https://e-factura.sunat.gob.pe/ol-it-wsconscpegem/billConsultService"
SANDBOX_BILL_PATH = "/ol-ti-itcpfegem/billService"
SANDBOX_CONSULTA_PATH = "/ol-it-wsconscpegem/billConsultService"


@dataclass(frozen=True)
class Endpoints:
    bill: str
    consulta: str | None  # SUNAT beta has no billConsultService


def endpoints_sandbox(base_url: str) -> Endpoints:
    base = base_url.rstrip("/")
    return Endpoints(bill=base + SANDBOX_BILL_PATH, consulta=base + SANDBOX_CONSULTA_PATH)


def endpoints_desde_settings(settings: Settings) -> Endpoints:
    """``sunat_env``: sandbox | beta | produccion | ose. ``sunat_bill_url`` / ``sunat_consult_url``
    override the defaults and are mandatory for ``ose``."""
    entorno = settings.sunat_env.lower()
    if entorno == "sandbox":
        defecto = endpoints_sandbox(f"http://127.0.0.1:{settings.sunat_sandbox_port}")
    elif entorno == "beta":
        defecto = Endpoints(BETA_BILL, None)
    elif entorno == "produccion":
        defecto = Endpoints(PRODUCCION_BILL, PRODUCCION_CONSULTA)
    elif entorno == "ose":
        if not settings.sunat_bill_url:
            raise ValueError("sunat_env=ose requiere SUNAT_BILL_URL (y SUNAT_CONSULT_URL para consultar CDR)")
        defecto = Endpoints(settings.sunat_bill_url, settings.sunat_consult_url or None)
    else:
        raise ValueError(f"sunat_env desconocido: {settings.sunat_env!r}")
    return Endpoints(
        bill=settings.sunat_bill_url or defecto.bill,
        consulta=settings.sunat_consult_url or defecto.consulta,
    )


# --------------------------------------------------------------------------- classification

# 0100-1999 codes that mean "SUNAT could not answer": retry later.
CODIGOS_NO_DISPONIBLE = frozenset(
    {"0100", "0109", "0125", "0200", "0201", "0202", "0203", "0204", "0250", "0251", "0252", "0253",
     "0303", "0304", "0307"}
    | {f"{c:04d}" for c in range(130, 139)}
)
# The number is already taken: fetch the existing CDR instead of resending.
CODIGOS_YA_REGISTRADO = frozenset({"1033", "1032", "2223", "0402"})
# Exceptions (not informed) that are worth a plain retry besides the "no disponible" class.
CODIGOS_ERROR_REINTENTABLE: frozenset[str] = frozenset()


def clasificar_fault(codigo: str | None, mensaje: str, detalle: str = "") -> SunatError:
    """Map a SUNAT return code (fault or getStatus statusCode) to the exception to raise."""
    if not codigo or not codigo.isdigit():
        # "env:Client / Internal Error" and friends: SUNAT-side trouble without a code.
        return SunatNoDisponible(mensaje or "SUNAT respondió un fault sin código", codigo, detalle)
    codigo = normalizar_codigo(codigo)
    if codigo in CODIGOS_NO_DISPONIBLE:
        return SunatNoDisponible(mensaje, codigo, detalle)
    if codigo in CODIGOS_YA_REGISTRADO:
        return SunatYaRegistrado(mensaje, codigo, detalle)
    if clasificar_codigo(codigo) is ClaseCodigo.RECHAZADO:
        return SunatRechazo(mensaje, codigo, detalle)
    if codigo in ("0127", "0011"):
        return SunatCdrNoEncontrado(mensaje, codigo, detalle)
    return SunatErrorEnvio(mensaje, codigo, detalle, reintentable=codigo in CODIGOS_ERROR_REINTENTABLE)


_DIGITOS_FINALES = re.compile(r"(\d{1,4})\s*$")


def codigo_de_fault(faultcode: str, faultstring: str) -> str | None:
    """``soap-env:Client.0151`` / ``ns0:1033`` / ``Client`` + faultstring ``0306``."""
    coincide = _DIGITOS_FINALES.search(faultcode or "")
    if coincide:
        return normalizar_codigo(coincide.group(1))
    inicio = re.match(r"^\s*(\d{3,4})\b", faultstring or "")
    return normalizar_codigo(inicio.group(1)) if inicio else None


# --------------------------------------------------------------------------- packaging


def empaquetar(nombre: str, xml: bytes) -> tuple[str, bytes]:
    """``nombre`` = ``RUC-TT-SERIE-NUMERO``; returns (zip file name, zip bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{nombre}.xml", xml)
    return f"{nombre}.zip", buffer.getvalue()


# --------------------------------------------------------------------------- SOAP


def construir_sobre(usuario: str, clave: str, operacion: str, parametros: dict[str, str]) -> bytes:
    sobre = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap={"soapenv": NS_SOAP, "ser": NS_SERVICIO, "wsse": NS_WSSE})
    cabecera = etree.SubElement(sobre, f"{{{NS_SOAP}}}Header")
    token = etree.SubElement(etree.SubElement(cabecera, f"{{{NS_WSSE}}}Security"), f"{{{NS_WSSE}}}UsernameToken")
    etree.SubElement(token, f"{{{NS_WSSE}}}Username").text = usuario
    etree.SubElement(token, f"{{{NS_WSSE}}}Password", Type=PASSWORD_TEXT).text = clave
    cuerpo = etree.SubElement(sobre, f"{{{NS_SOAP}}}Body")
    nodo = etree.SubElement(cuerpo, f"{{{NS_SERVICIO}}}{operacion}")
    for nombre, valor in parametros.items():
        etree.SubElement(nodo, nombre).text = valor
    return etree.tostring(sobre, xml_declaration=True, encoding="UTF-8")


def _local(raiz: etree._Element, nombre: str) -> etree._Element | None:
    nodos = raiz.xpath(f"//*[local-name()='{nombre}']")
    return nodos[0] if nodos else None


def _texto_local(raiz: etree._Element, nombre: str) -> str:
    nodo = _local(raiz, nombre)
    return "".join(nodo.itertext()).strip() if nodo is not None else ""


def _b64(texto: str) -> bytes:
    try:
        return base64.b64decode(texto, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise SunatErrorEnvio("contenido base64 inválido en la respuesta de SUNAT") from exc


@dataclass(frozen=True)
class EstadoTicket:
    codigo: str  # "0", "98", "99" or an error code
    contenido: bytes | None  # CDR zip


@dataclass(frozen=True)
class EstadoCdr:
    codigo: str
    mensaje: str
    contenido: bytes | None


class ClienteSee:
    """Synchronous SEE client. One instance per company (credentials) and environment."""

    def __init__(
        self,
        endpoints: Endpoints,
        ruc: str,
        usuario_sol: str,
        clave_sol: str,
        *,
        timeout_conexion: float = 5.0,
        timeout_lectura: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ):
        self.endpoints = endpoints
        self.usuario = usuario_sol if usuario_sol.startswith(ruc) else f"{ruc}{usuario_sol}"
        self._clave = clave_sol
        self.timeout = httpx.Timeout(
            connect=timeout_conexion, read=timeout_lectura, write=timeout_lectura, pool=timeout_conexion
        )
        self._transport = transport

    # ---------------------------------------------------------------- operations

    def send_bill(self, nombre_zip: str, contenido_zip: bytes) -> bytes:
        """Returns the CDR zip. Faults raise :class:`SunatError` subclasses."""
        raiz = self._llamar(self.endpoints.bill, "sendBill", self._archivo(nombre_zip, contenido_zip))
        respuesta = _texto_local(raiz, "applicationResponse")
        if not respuesta:
            raise SunatErrorEnvio("SUNAT no devolvió applicationResponse (CDR)")
        return _b64(respuesta)

    def send_summary(self, nombre_zip: str, contenido_zip: bytes) -> str:
        raiz = self._llamar(self.endpoints.bill, "sendSummary", self._archivo(nombre_zip, contenido_zip))
        ticket = _texto_local(raiz, "ticket")
        if not ticket:
            raise SunatErrorEnvio("SUNAT no devolvió ticket")
        return ticket

    def get_status(self, ticket: str) -> EstadoTicket:
        raiz = self._llamar(self.endpoints.bill, "getStatus", {"ticket": ticket})
        codigo = _texto_local(raiz, "statusCode")
        if not codigo:
            raise SunatErrorEnvio("getStatus sin statusCode")
        contenido = _texto_local(raiz, "content")
        return EstadoTicket(codigo=codigo, contenido=_b64(contenido) if contenido else None)

    def get_status_cdr(self, ruc: str, tipo: str, serie: str, numero: int) -> EstadoCdr:
        if not self.endpoints.consulta:
            raise SunatErrorEnvio("este entorno no tiene billConsultService (SUNAT beta no lo ofrece)")
        parametros = {
            "rucComprobante": ruc,
            "tipoComprobante": tipo,
            "serieComprobante": serie,
            "numeroComprobante": str(int(numero)),
        }
        raiz = self._llamar(self.endpoints.consulta, "getStatusCdr", parametros)
        contenido = _texto_local(raiz, "content")
        return EstadoCdr(
            codigo=_texto_local(raiz, "statusCode"),
            mensaje=_texto_local(raiz, "statusMessage"),
            contenido=_b64(contenido) if contenido else None,
        )

    # ---------------------------------------------------------------- transport

    @staticmethod
    def _archivo(nombre_zip: str, contenido_zip: bytes) -> dict[str, str]:
        return {"fileName": nombre_zip, "contentFile": base64.b64encode(contenido_zip).decode("ascii")}

    def _llamar(self, url: str, operacion: str, parametros: dict[str, str]) -> etree._Element:
        sobre = construir_sobre(self.usuario, self._clave, operacion, parametros)
        cabeceras = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f"urn:{operacion}"}
        try:
            with httpx.Client(timeout=self.timeout, transport=self._transport) as http:
                respuesta = http.post(url, content=sobre, headers=cabeceras)
        except httpx.TimeoutException as exc:
            raise SunatTimeout(f"SUNAT no respondió a tiempo ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise SunatNoDisponible(f"no se pudo conectar con SUNAT: {exc}") from exc
        return self._interpretar(respuesta)

    @staticmethod
    def _interpretar(respuesta: httpx.Response) -> etree._Element:
        cuerpo = respuesta.content
        raiz = None
        if cuerpo.strip():
            try:
                raiz = etree.fromstring(cuerpo, parser=etree.XMLParser(resolve_entities=False, no_network=True))
            except etree.XMLSyntaxError:
                raiz = None
        if raiz is not None and _local(raiz, "Fault") is not None:
            faultcode = _texto_local(raiz, "faultcode")
            faultstring = _texto_local(raiz, "faultstring")
            detalle = _texto_local(raiz, "detail")
            raise clasificar_fault(codigo_de_fault(faultcode, faultstring), faultstring, detalle)
        if respuesta.status_code >= 500:
            raise SunatNoDisponible(f"SUNAT respondió HTTP {respuesta.status_code}")
        if respuesta.status_code >= 400:
            raise SunatErrorEnvio(f"SUNAT respondió HTTP {respuesta.status_code}", detalle=respuesta.text[:500])
        if raiz is None:
            # Production answers an empty 200 to requests it refuses (typically a wrong
            # Username: it must be RUC + usuario SOL).
            raise SunatErrorEnvio("respuesta vacía o no XML de SUNAT; revise usuario SOL (RUC+usuario) y URL")
        return raiz


# --------------------------------------------------------------------------- provider


class ProveedorSee:
    """:class:`~integrations.sunat.provider.ProveedorSunat` over the SEE SOAP services."""

    def __init__(self, cliente: ClienteSee):
        self.cliente = cliente

    def enviar_comprobante(self, nombre: str, xml_firmado: bytes) -> ResultadoEnvio:
        nombre_zip, contenido = empaquetar(nombre, xml_firmado)
        try:
            cdr_zip = self.cliente.send_bill(nombre_zip, contenido)
        except SunatRechazo as exc:  # rejection delivered as a fault: same outcome, no CDR
            return ResultadoEnvio(EstadoSunat.RECHAZADO, exc.codigo or "", exc.mensaje)
        return self._resultado(cdr_zip)

    def enviar_resumen(self, nombre: str, xml: bytes) -> str:
        nombre_zip, contenido = empaquetar(nombre, xml)
        return self.cliente.send_summary(nombre_zip, contenido)

    def consultar_ticket(self, ticket: str) -> ResultadoEnvio | None:
        estado = self.cliente.get_status(ticket)
        codigo = normalizar_codigo(estado.codigo) if estado.codigo.isdigit() else estado.codigo
        if codigo == "0098":
            return None
        if codigo in ("0", "0099") and estado.contenido:
            return self._resultado(estado.contenido)
        raise clasificar_fault(codigo, f"getStatus devolvió statusCode {estado.codigo}")

    def consultar_cdr(self, ruc: str, tipo: str, serie: str, numero: int) -> ResultadoEnvio:
        estado = self.cliente.get_status_cdr(ruc, tipo, serie, numero)
        if estado.contenido:
            return self._resultado(estado.contenido)
        error = clasificar_fault(estado.codigo, estado.mensaje or "sin CDR")
        if isinstance(error, SunatErrorEnvio) and not isinstance(error, SunatCdrNoEncontrado):
            error = SunatCdrNoEncontrado(error.mensaje, error.codigo, error.detalle)
        raise error

    @staticmethod
    def _resultado(cdr_zip: bytes) -> ResultadoEnvio:
        try:
            return resultado_desde_cdr(cdr_zip)
        except CdrInvalido as exc:
            raise SunatErrorEnvio(f"CDR ilegible: {exc}") from exc
