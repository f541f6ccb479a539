"""SOAP wire format of the sandbox: request parsing, responses, SUNAT-shaped faults and WSDLs."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from lxml import etree

from integrations.sunat.cdr import normalizar_codigo

NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_SERVICIO = "http://service.sunat.gob.pe"

# Messages of the codes the sandbox emits (SUNAT "Listado de códigos de retorno").
MENSAJES = {
    "0100": "El sistema no puede responder su solicitud. Intente nuevamente o comuníquese con su Administrador",
    "0101": "El encabezado de seguridad es incorrecto",
    "0102": "Usuario o contraseña incorrectos",
    "0126": "El ticket no le pertenece al usuario",
    "0127": "El ticket no existe",
    "0151": "El nombre del archivo ZIP es incorrecto",
    "0152": "No se puede enviar por este método un archivo de resumen",
    "0154": "El RUC del archivo no corresponde al RUC del usuario",
    "0155": "El archivo ZIP esta vacio",
    "0156": "El archivo ZIP esta corrupto",
    "0157": "El archivo ZIP no contiene comprobantes",
    "0158": "El archivo ZIP contiene demasiados comprobantes para este tipo de envío",
    "0159": "El nombre del archivo XML es incorrecto",
    "0160": "El archivo XML esta vacio",
    "0161": "El nombre del archivo XML no coincide con el nombre del archivo ZIP",
    "0200": "No se pudo procesar su solicitud. (Ocurrio un error en el batch)",
    "0305": "El sistema no puede procesar el archivo xml",
    "0306": "No se puede leer (parsear) el archivo XML",
    "1003": "InvoiceTypeCode - El valor del tipo de documento es invalido o no coincide con el nombre del archivo",
    "1033": "El comprobante fue registrado previamente con otros datos",
    "1034": "Número de RUC del nombre del archivo no coincide con el consignado en el contenido del archivo XML",
    "1035": "Numero de Serie del nombre del archivo no coincide con el consignado en el contenido del archivo XML",
    "1036": "Número de documento en el nombre del archivo no coincide con el consignado en el contenido del XML",
    "1059": "El XML no contiene firma digital",
    "1083": "El numero de RUC del receptor no existe.",
    "2017": "El numero de documento de identidad del receptor debe ser RUC",
    "2223": "El archivo ya fue presentado anteriormente",
    "2335": "El documento electrónico ingresado ha sido alterado",
    "2336": "Ocurrió un error en el proceso de validación de la firma digital",
}


def mensaje_de(codigo: str) -> str:
    return MENSAJES.get(normalizar_codigo(codigo), f"Error {codigo}")


class FaultSunat(Exception):
    """Raised inside the sandbox; rendered as a SUNAT-shaped SOAP fault (HTTP 500)."""

    def __init__(self, codigo: str, detalle: str = "", mensaje: str = ""):
        self.codigo = normalizar_codigo(codigo)
        self.mensaje = mensaje or mensaje_de(self.codigo)
        self.detalle = detalle
        super().__init__(f"{self.codigo} {self.mensaje}")


@dataclass
class Peticion:
    operacion: str
    usuario: str | None
    clave: str | None
    parametros: dict[str, str] = field(default_factory=dict)

    def archivo(self) -> tuple[str, bytes]:
        nombre = self.parametros.get("fileName", "")
        try:
            contenido = base64.b64decode(self.parametros.get("contentFile", ""), validate=False)
        except ValueError as exc:
            raise FaultSunat("0156", "contentFile no es base64") from exc
        return nombre, contenido


def _local(raiz: etree._Element, nombre: str) -> etree._Element | None:
    nodos = raiz.xpath(f"//*[local-name()='{nombre}']")
    return nodos[0] if nodos else None


def leer_peticion(cuerpo: bytes) -> Peticion:
    try:
        raiz = etree.fromstring(cuerpo, parser=etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    except etree.XMLSyntaxError as exc:
        raise FaultSunat("0305", f"sobre SOAP ilegible: {exc}") from exc
    body = raiz.find(f"{{{NS_SOAP}}}Body")
    if body is None or len(body) == 0:
        raise FaultSunat("0305", "sobre SOAP sin Body")
    operacion_nodo = body[0]
    usuario = _local(raiz, "Username")
    clave = _local(raiz, "Password")
    parametros = {etree.QName(hijo).localname: (hijo.text or "").strip() for hijo in operacion_nodo}
    return Peticion(
        operacion=etree.QName(operacion_nodo).localname,
        usuario=(usuario.text or "").strip() if usuario is not None else None,
        clave=(clave.text or "") if clave is not None else None,
        parametros=parametros,
    )


def _sobre(contenido: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soap-env:Envelope xmlns:soap-env="{NS_SOAP}"><soap-env:Header/>'
        f"<soap-env:Body>{contenido}</soap-env:Body></soap-env:Envelope>"
    ).encode()


def respuesta(operacion: str, campos: dict[str, str], envoltorio: str | None = None) -> bytes:
    """``<br:sendBillResponse><applicationResponse>...`` (children unqualified, like SUNAT)."""
    hijos = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in campos.items())
    if envoltorio:
        hijos = f"<{envoltorio}>{hijos}</{envoltorio}>"
    return _sobre(f'<br:{operacion}Response xmlns:br="{NS_SERVICIO}">{hijos}</br:{operacion}Response>')


def fault(error: FaultSunat) -> bytes:
    """Exception-class codes (auth, zip, file name) come as ``soap-env:Client.0151``; document
    validation codes as ``ns0:1033`` — the two shapes SUNAT uses."""
    if int(error.codigo) < 1000:
        faultcode = f"<faultcode>soap-env:Client.{error.codigo}</faultcode>"
    else:
        faultcode = f'<faultcode xmlns:ns0="{NS_SERVICIO}">ns0:{error.codigo}</faultcode>'
    texto = error.mensaje + (f" - Detalle: {error.detalle}" if error.detalle else "")
    detalle = f"<detail><message>{escape(error.detalle)}</message></detail>" if error.detalle else ""
    return _sobre(f"<soap-env:Fault>{faultcode}<faultstring>{escape(texto)}</faultstring>{detalle}</soap-env:Fault>")


_TIPOS_ARCHIVO = (
    '<xsd:element name="fileName" type="xsd:string" minOccurs="0"/>'
    '<xsd:element name="contentFile" type="xsd:base64Binary" minOccurs="0"/>'
    '<xsd:element name="partyType" type="xsd:string" minOccurs="0"/>'
)
_STATUS = (
    '<xsd:complexType name="statusResponse"><xsd:sequence>'
    '<xsd:element name="content" type="xsd:base64Binary" minOccurs="0"/>'
    '<xsd:element name="statusCode" type="xsd:string" minOccurs="0"/>'
    '<xsd:element name="statusMessage" type="xsd:string" minOccurs="0"/>'
    "</xsd:sequence></xsd:complexType>"
)
_CONSULTA = "".join(
    f'<xsd:element name="{n}" type="xsd:{t}" minOccurs="0"/>'
    for n, t in (("rucComprobante", "string"), ("tipoComprobante", "string"),
                 ("serieComprobante", "string"), ("numeroComprobante", "int"))
)
OPERACIONES_BILL = {
    "sendBill": (_TIPOS_ARCHIVO, '<xsd:element name="applicationResponse" type="xsd:base64Binary" minOccurs="0"/>'),
    "sendSummary": (_TIPOS_ARCHIVO, '<xsd:element name="ticket" type="xsd:string" minOccurs="0"/>'),
    "sendPack": (_TIPOS_ARCHIVO, '<xsd:element name="ticket" type="xsd:string" minOccurs="0"/>'),
    "getStatus": ('<xsd:element name="ticket" type="xsd:string" minOccurs="0"/>',
                  '<xsd:element name="status" type="tns:statusResponse" minOccurs="0"/>'),
}
OPERACIONES_CONSULTA = {
    "getStatus": (_CONSULTA, '<xsd:element name="status" type="tns:statusResponse" minOccurs="0"/>'),
    "getStatusCdr": (_CONSULTA, '<xsd:element name="statusCdr" type="tns:statusResponse" minOccurs="0"/>'),
}


def wsdl(servicio: str, direccion: str, operaciones: dict[str, tuple[str, str]]) -> bytes:
    """Self-contained document/literal WSDL (types inline) for ``billService`` or
    ``billConsultService``."""
    tipos, mensajes, port_ops, binding_ops = [], [], [], []
    for op, (entrada, salida) in operaciones.items():
        tipos.append(
            f'<xsd:element name="{op}"><xsd:complexType><xsd:sequence>{entrada}</xsd:sequence>'
            f'</xsd:complexType></xsd:element><xsd:element name="{op}Response"><xsd:complexType>'
            f"<xsd:sequence>{salida}</xsd:sequence></xsd:complexType></xsd:element>"
        )
        mensajes.append(
            f'<wsdl:message name="{op}Request"><wsdl:part name="parameters" element="tns:{op}"/></wsdl:message>'
            f'<wsdl:message name="{op}Response"><wsdl:part name="parameters" element="tns:{op}Response"/>'
            "</wsdl:message>"
        )
        port_ops.append(
            f'<wsdl:operation name="{op}"><wsdl:input message="tns:{op}Request"/>'
            f'<wsdl:output message="tns:{op}Response"/></wsdl:operation>'
        )
        binding_ops.append(
            f'<wsdl:operation name="{op}"><soap:operation soapAction="urn:{op}" style="document"/>'
            '<wsdl:input><soap:body use="literal"/></wsdl:input>'
            '<wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
        'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:tns="{NS_SERVICIO}" targetNamespace="{NS_SERVICIO}" name="{servicio}">'
        f'<wsdl:types><xsd:schema targetNamespace="{NS_SERVICIO}" elementFormDefault="unqualified">'
        f'{_STATUS}{"".join(tipos)}</xsd:schema></wsdl:types>'
        f'{"".join(mensajes)}<wsdl:portType name="{servicio}">{"".join(port_ops)}</wsdl:portType>'
        f'<wsdl:binding name="{servicio}PortBinding" type="tns:{servicio}">'
        '<soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>'
        f'{"".join(binding_ops)}</wsdl:binding><wsdl:service name="{servicio}">'
        f'<wsdl:port name="{servicio}Port" binding="tns:{servicio}PortBinding">'
        f'<soap:address location="{escape(direccion)}"/></wsdl:port></wsdl:service></wsdl:definitions>'
    ).encode()
