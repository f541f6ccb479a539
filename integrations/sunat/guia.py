"""The guía de remisión electrónica remitente (GRE, tipo 09): its document model and its UBL 2.1 DespatchAdvice
(CustomizationID 2.0, the GRE format of RS 000123-2022/SUNAT). Output is unsigned and deterministic, built
with the same helpers as the comprobantes (`integrations.sunat.ubl`) and signed with `integrations.sunat.firma`.

Transport: modalidad (catálogo 18) 01 público names the carrier company (RUC); 02 privado names the vehicle
plate and the driver (document and licence), unless the goods travel in an M1 or L category vehicle (cars,
motorcycles): then the indicator `SUNAT_Envio_IndicadorTrasladoVehiculoM1L` replaces vehicle and driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from lxml import etree

from integrations.sunat import catalogos as cat
from integrations.sunat.documento import Adquirente, Emisor, nombre_archivo
from integrations.sunat.ubl import (
    _CATALOGO,
    _fecha,
    _firma,
    _hora,
    _id_documento,
    _raiz,
    _serializar,
    _sub,
    exigir_texto_representable,
    numero,
)

TIPO_GRE = "09"
INDICADOR_M1L = "SUNAT_Envio_IndicadorTrasladoVehiculoM1L"


@dataclass
class Punto:
    """Origin or destination of the transfer: INEI ubigeo and address."""

    ubigeo: str
    direccion: str


@dataclass
class Conductor:
    tipo_documento: str  # catálogo 06
    numero_documento: str
    nombres: str
    apellidos: str
    licencia: str


@dataclass
class LineaGuia:
    codigo: str
    descripcion: str
    cantidad: Decimal
    unidad: str = "NIU"  # catálogo 03


@dataclass
class DocumentoRelacionado:
    """The comprobante the goods travel under (factura 01, boleta 03)."""

    tipo: str
    serie_numero: str
    ruc_emisor: str


@dataclass
class GuiaRemision:
    serie: str
    numero: int
    fecha_emision: date
    hora_emision: time
    emisor: Emisor
    destinatario: Adquirente
    motivo_traslado: str  # catálogo 20
    fecha_inicio_traslado: date
    peso_bruto: Decimal
    partida: Punto
    llegada: Punto
    lineas: list[LineaGuia]
    modalidad: str = cat.TRANSPORTE_PRIVADO  # catálogo 18
    placa: str = ""
    conductor: Conductor | None = None
    vehiculo_m1l: bool = False
    ruc_transportista: str = ""  # modalidad 01
    razon_social_transportista: str = ""
    unidad_peso: str = "KGM"
    relacionado: DocumentoRelacionado | None = None
    observacion: str = ""

    @property
    def serie_numero(self) -> str:
        return f"{self.serie}-{self.numero}"

    def nombre_archivo(self) -> str:
        return nombre_archivo(self.emisor.ruc, TIPO_GRE, self.serie, self.numero)


def _parte(parent: etree._Element, tag: str, tipo_doc: str, numero_doc: str, nombre: str) -> None:
    party = _sub(_sub(parent, tag), "cac:Party")
    _id_documento(_sub(party, "cac:PartyIdentification"), tipo_doc, numero_doc)
    _sub(_sub(party, "cac:PartyLegalEntity"), "cbc:RegistrationName", nombre)


def _direccion(parent: etree._Element, tag: str, punto: Punto) -> None:
    addr = _sub(parent, tag)
    _sub(addr, "cbc:ID", punto.ubigeo, schemeAgencyName="PE:INEI", schemeName="Ubigeos")
    _sub(_sub(addr, "cac:AddressLine"), "cbc:Line", punto.direccion)


def _relacionado(root: etree._Element, g: GuiaRemision) -> None:
    r = g.relacionado
    if r is None:
        return
    ref = _sub(root, "cac:AdditionalDocumentReference")
    _sub(ref, "cbc:ID", r.serie_numero)
    _sub(ref, "cbc:DocumentTypeCode", r.tipo, listAgencyName="PE:SUNAT", listName="Documento relacionado al "
         "transporte", listURI=_CATALOGO.format("61"))
    _sub(ref, "cbc:DocumentType", cat.CAT_01_TIPO_DOCUMENTO.get(r.tipo, r.tipo).title())
    issuer = _sub(_sub(ref, "cac:IssuerParty"), "cac:PartyIdentification")
    _id_documento(issuer, cat.DOC_RUC, r.ruc_emisor)


def _etapa(shipment: etree._Element, g: GuiaRemision) -> None:
    stage = _sub(shipment, "cac:ShipmentStage")
    _sub(stage, "cbc:TransportModeCode", g.modalidad, listAgencyName="PE:SUNAT", listName="Modalidad de traslado",
         listURI=_CATALOGO.format("18"))
    _sub(_sub(stage, "cac:TransitPeriod"), "cbc:StartDate", _fecha(g.fecha_inicio_traslado))
    if g.modalidad == cat.TRANSPORTE_PUBLICO:
        carrier = _sub(stage, "cac:CarrierParty")
        _id_documento(_sub(carrier, "cac:PartyIdentification"), cat.DOC_RUC, g.ruc_transportista)
        _sub(_sub(carrier, "cac:PartyLegalEntity"), "cbc:RegistrationName", g.razon_social_transportista)
    elif g.conductor is not None and not g.vehiculo_m1l:
        c = g.conductor
        driver = _sub(stage, "cac:DriverPerson")
        _id_documento(driver, c.tipo_documento, c.numero_documento)
        _sub(driver, "cbc:FirstName", c.nombres)
        _sub(driver, "cbc:FamilyName", c.apellidos)
        _sub(driver, "cbc:JobTitle", "Principal")
        _sub(_sub(driver, "cac:IdentityDocumentReference"), "cbc:ID", c.licencia)


def _envio(root: etree._Element, g: GuiaRemision) -> None:
    shipment = _sub(root, "cac:Shipment")
    _sub(shipment, "cbc:ID", "SUNAT_Envio")
    _sub(shipment, "cbc:HandlingCode", g.motivo_traslado, listAgencyName="PE:SUNAT", listName="Motivo de traslado",
         listURI=_CATALOGO.format("20"))
    _sub(shipment, "cbc:HandlingInstructions", cat.CAT_20_MOTIVO_TRASLADO.get(g.motivo_traslado, "Otros"))
    _sub(shipment, "cbc:GrossWeightMeasure", numero(g.peso_bruto), unitCode=g.unidad_peso)
    if g.vehiculo_m1l:
        _sub(shipment, "cbc:SpecialInstructions", INDICADOR_M1L)
    _etapa(shipment, g)
    delivery = _sub(shipment, "cac:Delivery")
    _direccion(delivery, "cac:DeliveryAddress", g.llegada)
    _direccion(_sub(delivery, "cac:Despatch"), "cac:DespatchAddress", g.partida)
    if g.modalidad == cat.TRANSPORTE_PRIVADO and g.placa and not g.vehiculo_m1l:
        _sub(_sub(_sub(shipment, "cac:TransportHandlingUnit"), "cac:TransportEquipment"), "cbc:ID", g.placa)


def construir_guia(g: GuiaRemision) -> bytes:
    """Unsigned UBL 2.1 DespatchAdvice of a GRE remitente."""
    exigir_texto_representable(g)
    root = _raiz(TIPO_GRE)
    _sub(root, "cbc:UBLVersionID", "2.1")
    _sub(root, "cbc:CustomizationID", "2.0")
    _sub(root, "cbc:ID", g.serie_numero)
    _sub(root, "cbc:IssueDate", _fecha(g.fecha_emision))
    _sub(root, "cbc:IssueTime", _hora(g.hora_emision))
    _sub(root, "cbc:DespatchAdviceTypeCode", TIPO_GRE, listAgencyName="PE:SUNAT", listName="Tipo de Documento",
         listURI=_CATALOGO.format("01"))
    if g.observacion:
        _sub(root, "cbc:Note", g.observacion)
    _relacionado(root, g)
    _firma(root, g.emisor)
    _parte(root, "cac:DespatchSupplierParty", cat.DOC_RUC, g.emisor.ruc, g.emisor.razon_social)
    d = g.destinatario
    _parte(root, "cac:DeliveryCustomerParty", d.tipo_documento, d.numero_documento or "-", d.nombre or "-")
    _envio(root, g)
    for i, linea in enumerate(g.lineas, start=1):
        el = _sub(root, "cac:DespatchLine")
        _sub(el, "cbc:ID", str(i))
        _sub(el, "cbc:DeliveredQuantity", numero(linea.cantidad), unitCode=linea.unidad,
             unitCodeListID="UN/ECE rec 20", unitCodeListAgencyName="United Nations Economic Commission for Europe")
        _sub(_sub(el, "cac:OrderLineReference"), "cbc:LineID", str(i))
        item = _sub(el, "cac:Item")
        _sub(item, "cbc:Description", linea.descripcion)
        _sub(_sub(item, "cac:SellersItemIdentification"), "cbc:ID", linea.codigo)
    return _serializar(root)
