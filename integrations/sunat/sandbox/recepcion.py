"""What the sandbox does with each SOAP operation: SUNAT's reception pipeline, in SUNAT's order.

sendBill: credentials -> file name -> zip -> XML vs file name -> already registered (1033) ->
XSD -> signature -> rules -> padrón -> CDR (signed, stored). Exceptions (0100-1999) are faults and
store nothing; rejections (2000-3999, 1083) are CDRs and burn the number, like in SUNAT.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import zipfile
from dataclasses import dataclass

from lxml import etree

from integrations.sunat.cdr import ClaseCodigo, DatosCdr, clasificar_codigo, construir_cdr, normalizar_codigo
from integrations.sunat.provider import Observacion
from integrations.sunat.sandbox import verificacion
from integrations.sunat.sandbox.config import EstadoFallas, SandboxConfig
from integrations.sunat.sandbox.soap import FaultSunat, Peticion, mensaje_de, respuesta
from integrations.sunat.sandbox.store import Almacen, Registrado, Ticket

log = logging.getLogger(__name__)

NOMBRE_COMPROBANTE = re.compile(r"(\d{11})-(01|03|07|08)-([A-Z0-9]{4})-(\d{1,8})\.zip", re.IGNORECASE)
NOMBRE_RESUMEN = re.compile(r"(\d{11})-(RC|RA|RR)-(\d{8})-(\d{1,5})\.zip", re.IGNORECASE)
RAICES = {"Invoice": None, "CreditNote": "07", "DebitNote": "08"}
DESCRIPCION_TIPO = {
    "01": "La Factura", "03": "La Boleta de Venta", "07": "La Nota de Credito", "08": "La Nota de Debito",
}
DESCRIPCION_RESUMEN = {"RC": "El Resumen diario", "RA": "La Comunicacion de baja", "RR": "El Resumen de reversiones"}


@dataclass(frozen=True)
class Documento:
    """The fields of a UBL comprobante the sandbox checks against the file name and padrón."""

    tipo: str
    id: str
    ruc_emisor: str
    receptor_tipo: str
    receptor_numero: str


def _primero(raiz: etree._Element, xpath: str) -> etree._Element | None:
    nodos = raiz.xpath(xpath)
    return nodos[0] if nodos else None


def _txt(nodo: etree._Element | None) -> str:
    return (nodo.text or "").strip() if nodo is not None else ""


def _parte(raiz: etree._Element, rol: str) -> tuple[str, str]:
    """(schemeID, number) of AccountingSupplierParty/AccountingCustomerParty, UBL 2.1 or 2.0."""
    base = f"*[local-name()='{rol}']"
    ident = _primero(raiz, f"{base}/*[local-name()='Party']/*[local-name()='PartyIdentification']/*[local-name()='ID']")
    if ident is not None:
        return ident.get("schemeID", ""), _txt(ident)
    numero = _txt(_primero(raiz, f"{base}/*[local-name()='CustomerAssignedAccountID']"))
    return _txt(_primero(raiz, f"{base}/*[local-name()='AdditionalAccountID']")), numero


def leer_documento(raiz: etree._Element) -> Documento:
    nombre_raiz = etree.QName(raiz).localname
    if nombre_raiz not in RAICES:
        raise FaultSunat("0305", f"elemento raíz no soportado: {nombre_raiz}")
    tipo = RAICES[nombre_raiz] or _txt(_primero(raiz, "*[local-name()='InvoiceTypeCode']"))
    _, ruc_emisor = _parte(raiz, "AccountingSupplierParty")
    receptor_tipo, receptor_numero = _parte(raiz, "AccountingCustomerParty")
    return Documento(tipo, _txt(_primero(raiz, "*[local-name()='ID']")), ruc_emisor, receptor_tipo, receptor_numero)


def extraer_xml(contenido: bytes, nombre: str) -> bytes:
    """The one ``<nombre>.xml`` inside the zip, with SUNAT's codes for every way it can be wrong."""
    if not contenido:
        raise FaultSunat("0155")
    try:
        with zipfile.ZipFile(io.BytesIO(contenido)) as zf:
            entradas = [i for i in zf.infolist() if not i.is_dir()]
            if not entradas:
                raise FaultSunat("0157")
            if len(entradas) > 1:
                raise FaultSunat("0158")
            entrada = entradas[0]
            if not entrada.filename.lower().endswith(".xml"):
                raise FaultSunat("0159")
            if entrada.filename[:-4] != nombre:
                raise FaultSunat("0161")
            xml = zf.read(entrada)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise FaultSunat("0156") from exc
    if not xml.strip():
        raise FaultSunat("0160")
    return xml


def parsear(xml: bytes) -> etree._Element:
    try:
        return etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise FaultSunat("0306", str(exc)) from exc


class Recepcion:
    def __init__(self, config: SandboxConfig, almacen: Almacen, fallas: EstadoFallas,
                 clave_pem: bytes, certificado_pem: bytes):
        self.config, self.almacen, self.fallas = config, almacen, fallas
        self._clave, self._certificado = clave_pem, certificado_pem

    # ---------------------------------------------------------------- dispatch

    def atender_bill(self, peticion: Peticion) -> bytes:
        usuario = self._autenticar(peticion)
        operaciones = {"sendBill": self.send_bill, "sendSummary": self.send_summary,
                       "getStatus": self.get_status, "sendPack": self._send_pack}
        if peticion.operacion not in operaciones:
            raise FaultSunat("0305", f"operación no soportada: {peticion.operacion}")
        return operaciones[peticion.operacion](peticion, usuario)

    def atender_consulta(self, peticion: Peticion) -> bytes:
        usuario = self._autenticar(peticion)
        if peticion.operacion == "getStatusCdr":
            return self.get_status_cdr(peticion, usuario)
        if peticion.operacion == "getStatus":
            return self.get_status_validez(peticion, usuario)
        raise FaultSunat("0305", f"operación no soportada: {peticion.operacion}")

    def _autenticar(self, peticion: Peticion) -> str:
        if not peticion.usuario or peticion.clave is None:
            raise FaultSunat("0101")
        clave = self.config.clave_de(peticion.usuario)
        if clave is None or clave != peticion.clave:
            raise FaultSunat("0102")
        return peticion.usuario

    # ---------------------------------------------------------------- sendBill

    def send_bill(self, peticion: Peticion, usuario: str) -> bytes:
        nombre_zip, contenido = peticion.archivo()
        if NOMBRE_RESUMEN.fullmatch(nombre_zip):
            raise FaultSunat("0152")
        coincide = NOMBRE_COMPROBANTE.fullmatch(nombre_zip)
        if not coincide:
            raise FaultSunat("0151", nombre_zip)
        ruc, tipo, serie, numero_txt = coincide.groups()
        serie, numero = serie.upper(), int(numero_txt)
        if ruc != usuario[:11]:
            raise FaultSunat("0154")
        nombre = nombre_zip[:-4]
        xml = extraer_xml(contenido, nombre)
        forzado = self.fallas.tomar_rechazo()
        doc = leer_documento(parsear(xml))
        self._comparar_con_nombre(doc, ruc, tipo, serie, numero)
        huella = hashlib.sha256(xml).hexdigest()
        previo = self.almacen.buscar(ruc, tipo, serie, numero)
        if previo is not None:
            if previo.hash == huella and self.config.reenvio_identico_devuelve_cdr and previo.cdr:
                return respuesta("sendBill", {"applicationResponse": _b64(previo.cdr)})
            raise FaultSunat("1033", f"{serie}-{numero}")
        codigo, mensaje, notas = self._validar(xml, doc, forzado)
        cdr = self._registrar(nombre, doc, ruc, tipo, serie, numero, huella, codigo, mensaje, notas)
        return respuesta("sendBill", {"applicationResponse": _b64(cdr)})

    @staticmethod
    def _comparar_con_nombre(doc: Documento, ruc: str, tipo: str, serie: str, numero: int) -> None:
        if doc.tipo != tipo:
            raise FaultSunat("1003", f"{doc.tipo} != {tipo}")
        if doc.ruc_emisor != ruc:
            raise FaultSunat("1034", f"{doc.ruc_emisor} != {ruc}")
        serie_doc, _, numero_doc = doc.id.partition("-")
        if serie_doc.upper() != serie:
            raise FaultSunat("1035", f"{serie_doc} != {serie}")
        if not numero_doc.isdigit() or int(numero_doc) != numero:
            raise FaultSunat("1036", f"{numero_doc} != {numero}")

    def _validar(
        self, xml: bytes, doc: Documento, forzado: tuple[str, str] | None
    ) -> tuple[str, str, list[Observacion]]:
        """(ResponseCode, Description, Notes) for a document that reached validation."""
        if forzado is not None:
            return self._aplicar_forzado(*forzado)
        if self.config.validar_xsd:
            errores = verificacion.validar_xsd(xml)
            if errores:
                raise FaultSunat("0306", "; ".join(errores[:3]))
        if self.config.verificar_firma:
            rechazo = verificacion.verificar_firma(xml)
            if rechazo is not None:
                codigo, detalle = rechazo
                if clasificar_codigo(codigo) is ClaseCodigo.EXCEPCION:
                    raise FaultSunat(codigo, detalle)
                return codigo, mensaje_de(codigo), []
        notas: list[Observacion] = []
        if self.config.validar_reglas:
            for codigo, mensaje in verificacion.validar_reglas(xml):
                clase = clasificar_codigo(codigo)
                if clase is ClaseCodigo.EXCEPCION:
                    raise FaultSunat(codigo, mensaje, mensaje=mensaje)
                if clase is ClaseCodigo.RECHAZADO:
                    return codigo, mensaje, []
                notas.append(Observacion(codigo, mensaje))
        rechazo_padron = self._padron(doc)
        if rechazo_padron is not None:
            return rechazo_padron, mensaje_de(rechazo_padron), []
        return "0", "", notas

    def _aplicar_forzado(self, codigo: str, mensaje: str) -> tuple[str, str, list[Observacion]]:
        codigo = normalizar_codigo(codigo)
        mensaje = mensaje or mensaje_de(codigo)
        clase = clasificar_codigo(codigo)
        if clase is ClaseCodigo.EXCEPCION:
            raise FaultSunat(codigo, "forzado por el sandbox", mensaje=mensaje)
        if clase is ClaseCodigo.OBSERVADO:
            return "0", "", [Observacion(codigo, mensaje)]
        return codigo, mensaje, []

    def _padron(self, doc: Documento) -> str | None:
        """Facturas (and notes on facturas) need a customer RUC that exists and is active."""
        if doc.receptor_tipo != "6":
            return None
        if not (len(doc.receptor_numero) == 11 and doc.receptor_numero.isdigit()):
            return "2017"
        return None if doc.receptor_numero in self.config.padron else "1083"

    def _registrar(self, nombre: str, doc: Documento, ruc: str, tipo: str, serie: str, numero: int,
                   huella: str, codigo: str, mensaje: str, notas: list[Observacion]) -> bytes:
        clase = clasificar_codigo(codigo)
        if clase is ClaseCodigo.ACEPTADO:
            mensaje = f"{DESCRIPCION_TIPO.get(tipo, 'El comprobante')} numero {serie}-{numero}, ha sido aceptada"
        datos = DatosCdr(
            nombre=nombre, ruc_emisor=ruc, documento_id=f"{serie}-{numero}", codigo=codigo,
            descripcion=mensaje, id_respuesta=str(self.almacen.siguiente_id()),
            receptor=f"{doc.receptor_tipo}-{doc.receptor_numero}" if doc.receptor_numero else "",
            notas=tuple(notas),
        )
        cdr = construir_cdr(datos, self._clave, self._certificado)
        estado = "RECHAZADO" if clase is ClaseCodigo.RECHAZADO else ("OBSERVADO" if notas else "ACEPTADO")
        self.almacen.registrar(Registrado(ruc, tipo, serie, numero, huella, estado, codigo, cdr))
        log.info("sandbox SUNAT: %s -> %s %s", nombre, codigo, estado)
        return cdr

    # ---------------------------------------------------------------- summaries

    def _send_pack(self, peticion: Peticion, usuario: str) -> bytes:
        raise FaultSunat("0153", mensaje="No se puede enviar por este método un archivo por lotes")

    def send_summary(self, peticion: Peticion, usuario: str) -> bytes:
        nombre_zip, contenido = peticion.archivo()
        coincide = NOMBRE_RESUMEN.fullmatch(nombre_zip)
        if not coincide:
            raise FaultSunat("0151", nombre_zip)
        ruc, tipo, fecha, correlativo = coincide.groups()
        if ruc != usuario[:11]:
            raise FaultSunat("0154")
        nombre = nombre_zip[:-4]
        xml = extraer_xml(contenido, nombre)
        parsear(xml)
        ticket = f"{self.almacen.siguiente_id() + 1_700_000_000_000}"
        id_resumen = f"{tipo.upper()}-{fecha}-{correlativo}"
        codigo, mensaje = "0", f"{DESCRIPCION_RESUMEN[tipo.upper()]} {id_resumen}, ha sido aceptado"
        if self.almacen.resumen_presentado(nombre):
            codigo, mensaje = "2223", mensaje_de("2223")
        elif self.config.verificar_firma and (rechazo := verificacion.verificar_firma(xml)) is not None:
            codigo, mensaje = rechazo[0], mensaje_de(rechazo[0])
        elif (forzado := self.fallas.tomar_rechazo()) is not None:
            codigo, mensaje = normalizar_codigo(forzado[0]), forzado[1] or mensaje_de(forzado[0])
        datos = DatosCdr(nombre=nombre, ruc_emisor=ruc, documento_id=id_resumen, codigo=codigo,
                         descripcion=mensaje, id_respuesta=ticket)
        cdr = construir_cdr(datos, self._clave, self._certificado)
        estado_ticket = "0" if clasificar_codigo(codigo) in (ClaseCodigo.ACEPTADO, ClaseCodigo.OBSERVADO) else "99"
        self.almacen.crear_ticket(Ticket(ticket, usuario, nombre, estado_ticket, cdr, 0))
        return respuesta("sendSummary", {"ticket": ticket})

    def get_status(self, peticion: Peticion, usuario: str) -> bytes:
        ticket = self.almacen.consultar_ticket(peticion.parametros.get("ticket", ""))
        if ticket is None:
            return respuesta("getStatus", {"statusCode": "0127"}, envoltorio="status")
        if ticket.usuario[:11] != usuario[:11]:
            return respuesta("getStatus", {"statusCode": "0126"}, envoltorio="status")
        if ticket.consultas < self.config.consultas_en_proceso:
            return respuesta("getStatus", {"statusCode": "98"}, envoltorio="status")
        campos = {"content": _b64(ticket.cdr or b""), "statusCode": ticket.codigo}
        return respuesta("getStatus", campos, envoltorio="status")

    # ---------------------------------------------------------------- billConsultService

    def _buscar_consultado(self, peticion: Peticion) -> Registrado | None:
        p = peticion.parametros
        numero = p.get("numeroComprobante", "")
        if not numero.isdigit():
            return None
        return self.almacen.buscar(p.get("rucComprobante", ""), p.get("tipoComprobante", ""),
                                   p.get("serieComprobante", "").upper(), int(numero))

    def get_status_cdr(self, peticion: Peticion, usuario: str) -> bytes:
        registrado = self._buscar_consultado(peticion)
        if registrado is None or registrado.cdr is None:
            campos = {"statusCode": "0127", "statusMessage": mensaje_de("0127")}
        else:
            campos = {"content": _b64(registrado.cdr), "statusCode": "0004", "statusMessage": "La constancia existe"}
        return respuesta("getStatusCdr", campos, envoltorio="statusCdr")

    def get_status_validez(self, peticion: Peticion, usuario: str) -> bytes:
        registrado = self._buscar_consultado(peticion)
        if registrado is None:
            campos = {"statusCode": "0011", "statusMessage": "El comprobante de pago electrónico no existe."}
        elif registrado.estado == "RECHAZADO":
            campos = {"statusCode": "0002", "statusMessage": "El comprobante existe pero está rechazado."}
        else:
            campos = {"statusCode": "0001", "statusMessage": "El comprobante existe y está aceptado."}
        return respuesta("getStatus", campos, envoltorio="status")


def _b64(contenido: bytes) -> str:
    import base64

    return base64.b64encode(contenido).decode("ascii")
