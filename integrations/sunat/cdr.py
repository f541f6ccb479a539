"""Constancia de Recepción (CDR): read it, classify its code, and build one (for the sandbox).

A CDR is a zip (``R-RUC-TT-SERIE-NUMERO.zip``) holding ``R-RUC-TT-SERIE-NUMERO.xml``, a UBL 2.0
``ApplicationResponse`` signed by SUNAT (or the OSE). SUNAT's zips also carry an empty ``dummy/``
folder, so the reader picks the first ``.xml`` entry instead of the first entry.

Code ranges (SUNAT "Listado de códigos de retorno"):

* ``0``            ACEPTADO (OBSERVADO when the CDR carries ``cbc:Note`` with codes 4000+)
* ``0100``-``1999`` excepción: the document was not informed (arrives as a SOAP fault)
* ``2000``-``3999`` RECHAZADO: the number is burnt, emit a new document
* ``4000``+        OBSERVADO: accepted with observations
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from lxml import etree

from integrations.sunat.provider import EstadoSunat, Observacion, ResultadoEnvio

NS = {
    "ar": "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}
RUC_SUNAT = "20131312955"
LIMA = ZoneInfo("America/Lima")

# 1083 ("El numero de RUC del receptor no existe") sits in the exception range but SUNAT
# registers the number as rejected: it is handled like a 2000-3999 rejection.
CODIGOS_EXCEPCION_QUE_RECHAZAN = frozenset({"1083"})


class ClaseCodigo(StrEnum):
    ACEPTADO = "ACEPTADO"
    OBSERVADO = "OBSERVADO"
    RECHAZADO = "RECHAZADO"
    EXCEPCION = "EXCEPCION"


class CdrInvalido(ValueError):
    """The bytes are not a readable CDR."""


def normalizar_codigo(codigo: str | int) -> str:
    """``'0151'``/``'151'``/``151`` -> ``'0151'``; ``'0'`` stays ``'0'``."""
    texto = str(codigo).strip()
    if not texto.isdigit():
        return texto
    valor = int(texto)
    return "0" if valor == 0 else f"{valor:04d}"


def clasificar_codigo(codigo: str | int) -> ClaseCodigo:
    texto = normalizar_codigo(codigo)
    if not texto.isdigit():
        return ClaseCodigo.EXCEPCION
    valor = int(texto)
    if valor == 0:
        return ClaseCodigo.ACEPTADO
    if texto in CODIGOS_EXCEPCION_QUE_RECHAZAN or 2000 <= valor <= 3999:
        return ClaseCodigo.RECHAZADO
    if valor >= 4000:
        return ClaseCodigo.OBSERVADO
    return ClaseCodigo.EXCEPCION


@dataclass
class Cdr:
    codigo: str
    descripcion: str
    documento_id: str
    notas: list[Observacion] = field(default_factory=list)
    id_respuesta: str = ""
    fecha_respuesta: str = ""
    hora_respuesta: str = ""
    ruc_receptor: str = ""  # cac:ReceiverParty: the issuer of the original document
    xml: bytes = b""
    enlace: str = ""  # a GRE's: SUNAT's link for its QR (DocumentReference/DocumentDescription)

    @property
    def clase(self) -> ClaseCodigo:
        clase = clasificar_codigo(self.codigo)
        if clase is ClaseCodigo.ACEPTADO and self.notas:
            return ClaseCodigo.OBSERVADO
        return clase

    def a_resultado(self, cdr_zip: bytes | None = None) -> ResultadoEnvio:
        clase = self.clase
        if clase is ClaseCodigo.EXCEPCION:
            raise CdrInvalido(f"un CDR no puede traer el código de excepción {self.codigo}")
        return ResultadoEnvio(
            estado=EstadoSunat(clase.value),
            codigo=self.codigo,
            mensaje=self.descripcion,
            observaciones=list(self.notas),
            cdr_zip=cdr_zip,
        )


# --------------------------------------------------------------------------- reading


def extraer_xml_de_zip(contenido: bytes) -> tuple[str, bytes]:
    """First ``.xml`` entry of a zip (skipping folders such as SUNAT's ``dummy/``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(contenido)) as zf:
            for info in zf.infolist():
                if not info.is_dir() and info.filename.lower().endswith(".xml"):
                    return info.filename, zf.read(info)
    except zipfile.BadZipFile as exc:
        raise CdrInvalido("el CDR no es un zip válido") from exc
    raise CdrInvalido("el zip del CDR no contiene un XML")


def _texto(raiz: etree._Element, xpath: str) -> str:
    nodos = raiz.xpath(xpath)
    return (nodos[0].text or "").strip() if nodos else ""


_NOTA = re.compile(r"^\s*(\d{3,4})\s*[-:]\s*(.*)$", re.DOTALL)


def _nota(texto: str) -> Observacion:
    coincide = _NOTA.match(texto)
    if coincide:
        return Observacion(normalizar_codigo(coincide.group(1)), coincide.group(2).strip())
    return Observacion("", texto.strip())


def leer_cdr_xml(xml: bytes) -> Cdr:
    try:
        raiz = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise CdrInvalido(f"XML del CDR ilegible: {exc}") from exc
    if etree.QName(raiz).localname != "ApplicationResponse":
        raise CdrInvalido("el XML no es un ApplicationResponse")
    respuesta = "*[local-name()='DocumentResponse']/*[local-name()='Response']"
    codigo = _texto(raiz, f"{respuesta}/*[local-name()='ResponseCode']")
    if not codigo:
        raise CdrInvalido("el CDR no tiene ResponseCode")
    notas = [_nota(n.text or "") for n in raiz.xpath("*[local-name()='Note']") if (n.text or "").strip()]
    documento = _texto(raiz, "*[local-name()='DocumentResponse']/*[local-name()='DocumentReference']"
                             "/*[local-name()='ID']")
    return Cdr(
        codigo=normalizar_codigo(codigo),
        descripcion=_texto(raiz, f"{respuesta}/*[local-name()='Description']"),
        documento_id=documento or _texto(raiz, f"{respuesta}/*[local-name()='ReferenceID']"),
        notas=notas,
        id_respuesta=_texto(raiz, "*[local-name()='ID']"),
        fecha_respuesta=_texto(raiz, "*[local-name()='ResponseDate']"),
        hora_respuesta=_texto(raiz, "*[local-name()='ResponseTime']"),
        ruc_receptor=_texto(raiz, "*[local-name()='ReceiverParty']/*[local-name()='PartyIdentification']"
                                  "/*[local-name()='ID']"),
        xml=xml,
        enlace=_texto(raiz, "*[local-name()='DocumentResponse']/*[local-name()='DocumentReference']"
                            "/*[local-name()='DocumentDescription']"),
    )


def leer_cdr(cdr_zip: bytes) -> Cdr:
    _, xml = extraer_xml_de_zip(cdr_zip)
    return leer_cdr_xml(xml)


def resultado_desde_cdr(cdr_zip: bytes) -> ResultadoEnvio:
    return leer_cdr(cdr_zip).a_resultado(cdr_zip)


# --------------------------------------------------------------------------- building


@dataclass(frozen=True)
class DatosCdr:
    """What the sandbox knows when it answers a document."""

    nombre: str  # RUC-TT-SERIE-NUMERO (or RUC-RC-YYYYMMDD-N for summaries)
    ruc_emisor: str
    documento_id: str  # F001-1
    codigo: str
    descripcion: str
    id_respuesta: str
    receptor: str = ""  # "6-20100047218" for the cac:RecipientParty
    notas: tuple[Observacion, ...] = ()
    emitido: datetime | None = None
    enlace: str = ""  # a GRE's CDR: the link of its QR (cac:DocumentReference/cbc:DocumentDescription)


def _sub(padre: etree._Element, prefijo: str, nombre: str, texto: str | None = None) -> etree._Element:
    nodo = etree.SubElement(padre, f"{{{NS[prefijo]}}}{nombre}")
    if texto is not None:
        nodo.text = texto
    return nodo


def _party(padre: etree._Element, nombre: str, ruc: str) -> None:
    party = _sub(padre, "cac", nombre)
    _sub(_sub(party, "cac", "PartyIdentification"), "cbc", "ID", ruc)


def construir_cdr_xml(datos: DatosCdr) -> etree._Element:
    """Unsigned ApplicationResponse, with a signature placeholder in the UBL extension."""
    momento = (datos.emitido or datetime.now(LIMA)).astimezone(LIMA)
    fecha, hora = momento.strftime("%Y-%m-%d"), momento.strftime("%H:%M:%S")
    raiz = etree.Element(f"{{{NS['ar']}}}ApplicationResponse", nsmap=NS)
    contenido = _sub(_sub(_sub(raiz, "ext", "UBLExtensions"), "ext", "UBLExtension"), "ext", "ExtensionContent")
    etree.SubElement(contenido, f"{{{NS['ds']}}}Signature", Id="placeholder")
    for nombre, valor in (("UBLVersionID", "2.0"), ("CustomizationID", "1.0"), ("ID", datos.id_respuesta),
                          ("IssueDate", fecha), ("IssueTime", hora), ("ResponseDate", fecha),
                          ("ResponseTime", hora)):
        _sub(raiz, "cbc", nombre, valor)
    for nota in datos.notas:
        _sub(raiz, "cbc", "Note", f"{nota.codigo} - {nota.mensaje}")
    firma = _sub(raiz, "cac", "Signature")
    _sub(firma, "cbc", "ID", "SignSUNAT")
    firmante = _sub(firma, "cac", "SignatoryParty")
    _sub(_sub(firmante, "cac", "PartyIdentification"), "cbc", "ID", RUC_SUNAT)
    _sub(_sub(firmante, "cac", "PartyName"), "cbc", "Name", "SUNAT")
    adjunto = _sub(_sub(firma, "cac", "DigitalSignatureAttachment"), "cac", "ExternalReference")
    _sub(adjunto, "cbc", "URI", "#SignSUNAT")
    _party(raiz, "SenderParty", RUC_SUNAT)
    _party(raiz, "ReceiverParty", datos.ruc_emisor)
    documento = _sub(raiz, "cac", "DocumentResponse")
    respuesta = _sub(documento, "cac", "Response")
    _sub(respuesta, "cbc", "ReferenceID", datos.documento_id)
    _sub(respuesta, "cbc", "ResponseCode", datos.codigo)
    _sub(respuesta, "cbc", "Description", datos.descripcion)
    referencia = _sub(documento, "cac", "DocumentReference")
    _sub(referencia, "cbc", "ID", datos.documento_id)
    if datos.enlace:
        _sub(referencia, "cbc", "DocumentDescription", datos.enlace)
    if datos.receptor:
        _party(documento, "RecipientParty", datos.receptor)
    return raiz


def firmar_cdr(raiz: etree._Element, clave_pem: bytes, certificado_pem: bytes) -> bytes:
    """Enveloped XMLDSig (RSA-SHA256, inclusive C14N) at the placeholder, certificate embedded."""
    from signxml import XMLSigner
    from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

    firmante = XMLSigner(
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
    )
    firmado = firmante.sign(raiz, key=clave_pem, cert=certificado_pem)
    firma = firmado.find(f".//{{{NS['ds']}}}Signature")
    if firma is not None:
        firma.set("Id", "SignSUNAT")
    return etree.tostring(firmado, xml_declaration=True, encoding="UTF-8")


def empaquetar_cdr(nombre: str, xml: bytes) -> bytes:
    """``R-<nombre>.zip`` layout as SUNAT ships it: an empty ``dummy/`` folder plus the XML."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("dummy/", b"")
        zf.writestr(f"R-{nombre}.xml", xml)
    return buffer.getvalue()


def construir_cdr(datos: DatosCdr, clave_pem: bytes, certificado_pem: bytes) -> bytes:
    """Signed CDR zip bytes."""
    xml = firmar_cdr(construir_cdr_xml(datos), clave_pem, certificado_pem)
    return empaquetar_cdr(datos.nombre, xml)
