"""UBL XML builders for SUNAT electronic documents (lxml). Output is unsigned.

Public API:
- ``construir_xml(comprobante: Comprobante) -> bytes``: Invoice (01/03, UBL 2.1, CustomizationID 2.0),
  CreditNote (07) or DebitNote (08).
- ``construir_resumen_diario(resumen: ResumenDiario) -> bytes``: SummaryDocuments (RC, UBL 2.0, 1.1).
- ``construir_comunicacion_baja(baja: ComunicacionBaja) -> bytes``: VoidedDocuments (RA, UBL 2.0, 1.0).
- ``construir(documento)`` dispatches on the type.

Every document carries an empty ``ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent`` where
:mod:`integrations.sunat.firma` places the ``ds:Signature`` with Id :data:`SIGNATURE_ID`, referenced by the
``cac:Signature`` block. Output is deterministic: same input, same bytes (fixed namespace map, fixed element
order, no timestamps or random ids).
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from lxml import etree

from core.schemas import texto_no_permitido
from integrations.sunat import catalogos as cat
from integrations.sunat.documento import (
    Adquirente,
    Comprobante,
    ComunicacionBaja,
    Emisor,
    ResumenDiario,
    ResumenLinea,
)
from integrations.sunat.totales import (
    DescuentoCargoCalculado,
    Totales,
    TotalesLinea,
    calcular,
    calcular_linea,
    redondear,
)

SIGNATURE_ID = "SignatureSP"

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "sac": "urn:sunat:names:specification:ubl:peru:schema:xsd:SunatAggregateComponents-1",
}
NS_DOC = {
    "01": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "03": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "07": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "08": "urn:oasis:names:specification:ubl:schema:xsd:DebitNote-2",
    "RC": "urn:sunat:names:specification:ubl:peru:schema:xsd:SummaryDocuments-1",
    "RA": "urn:sunat:names:specification:ubl:peru:schema:xsd:VoidedDocuments-1",
    "09": "urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2",
}
RAIZ = {"01": "Invoice", "03": "Invoice", "07": "CreditNote", "08": "DebitNote",
        "RC": "SummaryDocuments", "RA": "VoidedDocuments", "09": "DespatchAdvice"}
LINEA = {"01": ("InvoiceLine", "InvoicedQuantity"), "03": ("InvoiceLine", "InvoicedQuantity"),
         "07": ("CreditNoteLine", "CreditedQuantity"), "08": ("DebitNoteLine", "DebitedQuantity")}

_SUNAT = {"listAgencyName": "PE:SUNAT"}
_CATALOGO = "urn:pe:gob:sunat:cpe:see:gem:catalogos:catalogo{}"


# --- low-level helpers -------------------------------------------------------------------------------


def _q(tag: str) -> str:
    prefix, local = tag.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _q(tag), {k: v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def monto(valor: Decimal) -> str:
    """A 2-decimal amount."""
    return f"{redondear(valor):.2f}"


def numero(valor: Decimal) -> str:
    """A quantity / unit value without exponent and without needless trailing zeros (keeps >= 2 decimals)."""
    texto = f"{valor.normalize():f}"
    if "." not in texto:
        return f"{texto}.00"
    entero, dec = texto.split(".")
    return f"{entero}.{dec.ljust(2, '0')}"


def _amt(parent: etree._Element, tag: str, valor: Decimal, moneda: str) -> etree._Element:
    return _sub(parent, tag, monto(valor), currencyID=moneda)


def _fecha(d: date) -> str:
    return d.isoformat()


def _hora(t: time) -> str:
    return t.replace(microsecond=0).strftime("%H:%M:%S")


def _serializar(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _raiz(tipo: str) -> etree._Element:
    nsmap = {None: NS_DOC[tipo], "cac": NS["cac"], "cbc": NS["cbc"], "ds": NS["ds"], "ext": NS["ext"]}
    if tipo in ("RC", "RA"):
        nsmap["sac"] = NS["sac"]
    root = etree.Element(f"{{{NS_DOC[tipo]}}}{RAIZ[tipo]}", nsmap=nsmap)
    ext = _sub(_sub(root, "ext:UBLExtensions"), "ext:UBLExtension")
    _sub(ext, "ext:ExtensionContent")
    return root


# --- common blocks -----------------------------------------------------------------------------------


def _firma(root: etree._Element, emisor: Emisor) -> None:
    sig = _sub(root, "cac:Signature")
    _sub(sig, "cbc:ID", SIGNATURE_ID)
    party = _sub(sig, "cac:SignatoryParty")
    _sub(_sub(party, "cac:PartyIdentification"), "cbc:ID", emisor.ruc)
    _sub(_sub(party, "cac:PartyName"), "cbc:Name", emisor.razon_social)
    att = _sub(sig, "cac:DigitalSignatureAttachment")
    _sub(_sub(att, "cac:ExternalReference"), "cbc:URI", f"#{SIGNATURE_ID}")


def _id_documento(parent: etree._Element, tipo: str, numero_doc: str) -> None:
    _sub(parent, "cbc:ID", numero_doc, schemeID=tipo, schemeName="Documento de Identidad",
         schemeAgencyName="PE:SUNAT", schemeURI=_CATALOGO.format("06"))


def _emisor(root: etree._Element, emisor: Emisor) -> None:
    party = _sub(_sub(root, "cac:AccountingSupplierParty"), "cac:Party")
    _id_documento(_sub(party, "cac:PartyIdentification"), cat.DOC_RUC, emisor.ruc)
    if emisor.nombre_comercial:
        _sub(_sub(party, "cac:PartyName"), "cbc:Name", emisor.nombre_comercial)
    legal = _sub(party, "cac:PartyLegalEntity")
    _sub(legal, "cbc:RegistrationName", emisor.razon_social)
    d = emisor.direccion
    addr = _sub(legal, "cac:RegistrationAddress")
    if d.ubigeo:
        _sub(addr, "cbc:ID", d.ubigeo, schemeName="Ubigeos", schemeAgencyName="PE:INEI")
    _sub(addr, "cbc:AddressTypeCode", emisor.codigo_establecimiento, listAgencyName="PE:SUNAT",
         listName="Establecimientos anexos")
    for tag, valor in (("cbc:CitySubdivisionName", d.urbanizacion), ("cbc:CityName", d.provincia),
                       ("cbc:CountrySubentity", d.departamento), ("cbc:District", d.distrito)):
        if valor:
            _sub(addr, tag, valor)
    _sub(_sub(addr, "cac:AddressLine"), "cbc:Line", d.direccion)
    _pais(addr, d.pais)


def _pais(addr: etree._Element, pais: str) -> None:
    _sub(_sub(addr, "cac:Country"), "cbc:IdentificationCode", pais, listID="ISO 3166-1",
         listAgencyName="United Nations Economic Commission for Europe", listName="Country")


def _adquirente(root: etree._Element, adq: Adquirente) -> None:
    party = _sub(_sub(root, "cac:AccountingCustomerParty"), "cac:Party")
    _id_documento(_sub(party, "cac:PartyIdentification"), adq.tipo_documento, adq.numero_documento or "-")
    legal = _sub(party, "cac:PartyLegalEntity")
    _sub(legal, "cbc:RegistrationName", adq.nombre or "-")
    if adq.direccion or adq.pais:
        addr = _sub(legal, "cac:RegistrationAddress")
        if adq.direccion:
            _sub(_sub(addr, "cac:AddressLine"), "cbc:Line", adq.direccion)
        if adq.pais:
            _pais(addr, adq.pais)


def _allowance(parent: etree._Element, dc: DescuentoCargoCalculado, moneda: str) -> None:
    ac = _sub(parent, "cac:AllowanceCharge")
    _sub(ac, "cbc:ChargeIndicator", "true" if dc.es_cargo else "false")
    _sub(ac, "cbc:AllowanceChargeReasonCode", dc.codigo, listAgencyName="PE:SUNAT",
         listName="Cargo/descuento", listURI=_CATALOGO.format("53"))
    _sub(ac, "cbc:MultiplierFactorNumeric", numero(dc.factor))
    _amt(ac, "cbc:Amount", dc.monto, moneda)
    _amt(ac, "cbc:BaseAmount", dc.base, moneda)


def _tax_scheme(categoria: etree._Element, codigo: str) -> None:
    t = cat.CAT_05_TRIBUTO[codigo]
    scheme = _sub(categoria, "cac:TaxScheme")
    _sub(scheme, "cbc:ID", codigo, schemeName="Codigo de tributos", schemeAgencyName="PE:SUNAT",
         schemeURI=_CATALOGO.format("05"))
    _sub(scheme, "cbc:Name", t.nombre)
    _sub(scheme, "cbc:TaxTypeCode", t.codigo_internacional)


def _categoria_id(categoria: etree._Element, codigo: str) -> None:
    _sub(categoria, "cbc:ID", cat.CAT_05_TRIBUTO[codigo].categoria, schemeID="UN/ECE 5305",
         schemeName="Tax Category Identifier", schemeAgencyName="United Nations Economic Commission for Europe")


def _documento_subtotales(root: etree._Element, totales: Totales, moneda: str) -> None:
    tax = _sub(root, "cac:TaxTotal")
    _amt(tax, "cbc:TaxAmount", totales.total_impuestos, moneda)
    for t in totales.tributos:
        sub = _sub(tax, "cac:TaxSubtotal")
        if t.codigo != "7152":
            _amt(sub, "cbc:TaxableAmount", t.base, moneda)
        _amt(sub, "cbc:TaxAmount", t.monto, moneda)
        categoria = _sub(sub, "cac:TaxCategory")
        if t.codigo != "7152":
            _categoria_id(categoria, t.codigo)
        _tax_scheme(categoria, t.codigo)


def _linea_subtotales(parent: etree._Element, linea, tl: TotalesLinea, c: Comprobante) -> None:
    moneda = c.moneda
    tax = _sub(parent, "cac:TaxTotal")
    _amt(tax, "cbc:TaxAmount", tl.total_impuestos, moneda)
    if tl.isc:
        sub = _sub(tax, "cac:TaxSubtotal")
        _amt(sub, "cbc:TaxableAmount", tl.isc_base, moneda)
        _amt(sub, "cbc:TaxAmount", tl.isc, moneda)
        categoria = _sub(sub, "cac:TaxCategory")
        _categoria_id(categoria, "2000")
        _sub(categoria, "cbc:Percent", numero(tl.isc_porcentaje))
        _sub(categoria, "cbc:TierRange", linea.isc_sistema)
        _tax_scheme(categoria, "2000")
    sub = _sub(tax, "cac:TaxSubtotal")
    _amt(sub, "cbc:TaxableAmount", tl.base_igv, moneda)
    _amt(sub, "cbc:TaxAmount", tl.igv, moneda)
    categoria = _sub(sub, "cac:TaxCategory")
    _categoria_id(categoria, tl.tributo)
    _sub(categoria, "cbc:Percent", numero(tl.porcentaje))
    _sub(categoria, "cbc:TaxExemptionReasonCode", linea.afectacion_igv, listAgencyName="PE:SUNAT",
         listName="Afectacion del IGV", listURI=_CATALOGO.format("07"))
    _tax_scheme(categoria, tl.tributo)
    if tl.icbper:
        sub = _sub(tax, "cac:TaxSubtotal")
        _amt(sub, "cbc:TaxAmount", tl.icbper, moneda)
        _sub(sub, "cbc:BaseUnitMeasure", str(linea.icbper_cantidad), unitCode="NIU")
        categoria = _sub(sub, "cac:TaxCategory")
        _amt(categoria, "cbc:PerUnitAmount", c.tarifa_icbper, moneda)
        _tax_scheme(categoria, "7152")


def _lineas(root: etree._Element, c: Comprobante, totales: Totales) -> None:
    tag_linea, tag_cantidad = LINEA[c.tipo_documento]
    for i, (linea, tl) in enumerate(zip(c.lineas, totales.lineas, strict=True), start=1):
        el = _sub(root, f"cac:{tag_linea}")
        _sub(el, "cbc:ID", str(i))
        _sub(el, f"cbc:{tag_cantidad}", numero(linea.cantidad), unitCode=linea.unidad_medida,
             unitCodeListID="UN/ECE rec 20", unitCodeListAgencyName="United Nations Economic Commission for Europe")
        _amt(el, "cbc:LineExtensionAmount", tl.valor_venta, c.moneda)
        precio = _sub(_sub(el, "cac:PricingReference"), "cac:AlternativeConditionPrice")
        if tl.es_gratuita:
            _sub(precio, "cbc:PriceAmount", numero(tl.valor_referencial or Decimal(0)), currencyID=c.moneda)
            tipo_precio = "02"
        else:
            _sub(precio, "cbc:PriceAmount", numero(tl.precio_unitario), currencyID=c.moneda)
            tipo_precio = "01"
        _sub(precio, "cbc:PriceTypeCode", tipo_precio, listName="Tipo de Precio", listAgencyName="PE:SUNAT",
             listURI=_CATALOGO.format("16"))
        for dc in tl.descuentos_cargos:
            _allowance(el, dc, c.moneda)
        _linea_subtotales(el, linea, tl, c)
        item = _sub(el, "cac:Item")
        _sub(item, "cbc:Description", linea.descripcion)
        if linea.codigo_producto:
            _sub(_sub(item, "cac:SellersItemIdentification"), "cbc:ID", linea.codigo_producto)
        if linea.codigo_producto_sunat:
            _sub(_sub(item, "cac:CommodityClassification"), "cbc:ItemClassificationCode",
                 linea.codigo_producto_sunat, listID="UNSPSC", listAgencyName="GS1 US", listName="Item Classification")
        _sub(_sub(el, "cac:Price"), "cbc:PriceAmount", numero(tl.valor_unitario), currencyID=c.moneda)


def _formas_pago(root: etree._Element, c: Comprobante, totales: Totales) -> None:
    """Detracción PaymentMeans/PaymentTerms, then FormaPago (Contado / Credito + Cuota001...)."""
    d = c.detraccion
    if d is not None:
        means = _sub(root, "cac:PaymentMeans")
        _sub(means, "cbc:ID", "Detraccion")
        _sub(means, "cbc:PaymentMeansCode", d.medio_pago, listName="Medio de pago", listAgencyName="PE:SUNAT",
             listURI=_CATALOGO.format("59"))
        _sub(_sub(means, "cac:PayeeFinancialAccount"), "cbc:ID", d.cuenta_banco_nacion)
        terms = _sub(root, "cac:PaymentTerms")
        _sub(terms, "cbc:ID", "Detraccion")
        _sub(terms, "cbc:PaymentMeansID", d.codigo_bien_servicio, schemeName="Codigo de detraccion",
             schemeAgencyName="PE:SUNAT", schemeURI=_CATALOGO.format("54"))
        _sub(terms, "cbc:PaymentPercent", numero(d.porcentaje))
        _amt(terms, "cbc:Amount", totales.monto_detraccion, "PEN")
    if c.tipo_documento == "03" and c.forma_pago is None:
        return
    if c.tipo_documento == "08" or (c.tipo_documento == "07" and c.forma_pago is None):
        return
    forma = c.forma_pago
    if forma is None or forma.tipo == "Contado":
        terms = _sub(root, "cac:PaymentTerms")
        _sub(terms, "cbc:ID", "FormaPago")
        _sub(terms, "cbc:PaymentMeansID", "Contado")
        return
    terms = _sub(root, "cac:PaymentTerms")
    _sub(terms, "cbc:ID", "FormaPago")
    _sub(terms, "cbc:PaymentMeansID", "Credito")
    pendiente = forma.monto_pendiente if forma.monto_pendiente is not None else totales.monto_neto_pendiente
    _amt(terms, "cbc:Amount", pendiente, c.moneda)
    for i, cuota in enumerate(forma.cuotas, start=1):
        terms = _sub(root, "cac:PaymentTerms")
        _sub(terms, "cbc:ID", "FormaPago")
        _sub(terms, "cbc:PaymentMeansID", f"Cuota{i:03d}")
        _amt(terms, "cbc:Amount", cuota.monto, c.moneda)
        _sub(terms, "cbc:PaymentDueDate", _fecha(cuota.fecha_vencimiento))


def _referencia(root: etree._Element, c: Comprobante) -> None:
    ref = c.documento_referencia
    if ref is None:
        return
    catalogo = "09" if c.tipo_documento == "07" else "10"
    resp = _sub(root, "cac:DiscrepancyResponse")
    _sub(resp, "cbc:ReferenceID", ref.serie_numero)
    _sub(resp, "cbc:ResponseCode", c.motivo_codigo, listAgencyName="PE:SUNAT",
         listName="Tipo de nota de credito" if catalogo == "09" else "Tipo de nota de debito",
         listURI=_CATALOGO.format(catalogo))
    _sub(resp, "cbc:Description", c.motivo_descripcion or "-")


def _billing_reference(root: etree._Element, c: Comprobante) -> None:
    ref = c.documento_referencia
    if ref is None:
        return
    doc = _sub(_sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
    _sub(doc, "cbc:ID", ref.serie_numero)
    _sub(doc, "cbc:DocumentTypeCode", ref.tipo_documento, listAgencyName="PE:SUNAT",
         listName="Tipo de Documento", listURI=_CATALOGO.format("01"))


def _monetary_total(root: etree._Element, c: Comprobante, totales: Totales) -> None:
    tag = "cac:RequestedMonetaryTotal" if c.tipo_documento == "08" else "cac:LegalMonetaryTotal"
    lmt = _sub(root, tag)
    m = c.moneda
    _amt(lmt, "cbc:LineExtensionAmount", totales.valor_venta, m)
    _amt(lmt, "cbc:TaxInclusiveAmount", totales.precio_venta, m)
    if totales.descuentos:
        _amt(lmt, "cbc:AllowanceTotalAmount", totales.descuentos, m)
    if totales.cargos:
        _amt(lmt, "cbc:ChargeTotalAmount", totales.cargos, m)
    if totales.redondeo:
        _amt(lmt, "cbc:PayableRoundingAmount", totales.redondeo, m)
    _amt(lmt, "cbc:PayableAmount", totales.importe_total, m)


# --- documents ---------------------------------------------------------------------------------------


class TextoNoRepresentable(ValueError):
    """A field of the document holds a character XML 1.0 cannot carry (data stored before the API refused
    it, or that never came through a request body). No retry can fix it: the data must be corrected."""

    def __init__(self, campo: str, caracter: str):
        super().__init__(f"El dato {campo} contiene un carácter no permitido en un XML de SUNAT ({caracter}): "
                         "corríjalo y reenvíe")
        self.campo, self.caracter = campo, caracter


def exigir_texto_representable(documento: object) -> None:
    """Refuse the document before any XML is built (lxml would fail half way with a bare ValueError)."""
    if (hallado := texto_no_permitido(documento)) is not None:
        raise TextoNoRepresentable(*hallado)


def construir_xml(comprobante: Comprobante, totales: Totales | None = None) -> bytes:
    """Unsigned UBL 2.1 XML of a factura, boleta, nota de crédito or nota de débito."""
    c = comprobante
    if c.numero is None:
        raise ValueError("el comprobante debe estar numerado antes de construir el XML")
    exigir_texto_representable(c)
    t = totales or calcular(c)
    tipo = c.tipo_documento
    root = _raiz(tipo)
    _sub(root, "cbc:UBLVersionID", "2.1")
    _sub(root, "cbc:CustomizationID", "2.0", schemeAgencyName="PE:SUNAT")
    _sub(root, "cbc:ID", c.serie_numero)
    _sub(root, "cbc:IssueDate", _fecha(c.fecha_emision))
    _sub(root, "cbc:IssueTime", _hora(c.hora_emision))
    if tipo in ("01", "03"):
        if c.fecha_vencimiento:
            _sub(root, "cbc:DueDate", _fecha(c.fecha_vencimiento))
        _sub(root, "cbc:InvoiceTypeCode", tipo, listAgencyName="PE:SUNAT", listName="Tipo de Documento",
             listURI=_CATALOGO.format("01"), listID=c.tipo_operacion, name="Tipo de Operacion",
             listSchemeURI=_CATALOGO.format("51"))
    for codigo, texto in t.leyendas:
        _sub(root, "cbc:Note", texto, languageLocaleID=codigo)
    _sub(root, "cbc:DocumentCurrencyCode", c.moneda, listID="ISO 4217 Alpha", listName="Currency",
         listAgencyName="United Nations Economic Commission for Europe")
    if tipo in ("01", "03"):
        _sub(root, "cbc:LineCountNumeric", str(len(c.lineas)))
    else:
        _referencia(root, c)
    if c.orden_compra:
        _sub(_sub(root, "cac:OrderReference"), "cbc:ID", c.orden_compra)
    _billing_reference(root, c)
    _firma(root, c.emisor)
    _emisor(root, c.emisor)
    _adquirente(root, c.adquirente)
    _formas_pago(root, c, t)
    for dc in t.descuentos_cargos:
        _allowance(root, dc, c.moneda)
    _documento_subtotales(root, t, c.moneda)
    _monetary_total(root, c, t)
    _lineas(root, c, t)
    return _serializar(root)


def _proveedor_v20(root: etree._Element, emisor: Emisor) -> None:
    sup = _sub(root, "cac:AccountingSupplierParty")
    _sub(sup, "cbc:CustomerAssignedAccountID", emisor.ruc)
    _sub(sup, "cbc:AdditionalAccountID", cat.DOC_RUC)
    legal = _sub(_sub(sup, "cac:Party"), "cac:PartyLegalEntity")
    _sub(legal, "cbc:RegistrationName", emisor.razon_social)


def _cabecera_v20(tipo: str, identificador: str, referencia: date, generacion: date, emisor: Emisor,
                  customization: str) -> etree._Element:
    root = _raiz(tipo)
    _sub(root, "cbc:UBLVersionID", "2.0")
    _sub(root, "cbc:CustomizationID", customization)
    _sub(root, "cbc:ID", identificador)
    _sub(root, "cbc:ReferenceDate", _fecha(referencia))
    _sub(root, "cbc:IssueDate", _fecha(generacion))
    _firma(root, emisor)
    _proveedor_v20(root, emisor)
    return root


_INSTRUCCION_RESUMEN = (("01", "gravado"), ("02", "exonerado"), ("03", "inafecto"), ("04", "exportacion"),
                        ("05", "gratuito"))


def _resumen_linea(root: etree._Element, i: int, rl: ResumenLinea) -> None:
    c = rl.comprobante
    t = calcular(c)
    m = c.moneda
    el = _sub(root, "sac:SummaryDocumentsLine")
    _sub(el, "cbc:LineID", str(i))
    _sub(el, "cbc:DocumentTypeCode", c.tipo_documento)
    _sub(el, "cbc:ID", c.serie_numero)
    cust = _sub(el, "cac:AccountingCustomerParty")
    _sub(cust, "cbc:CustomerAssignedAccountID", c.adquirente.numero_documento or "-")
    _sub(cust, "cbc:AdditionalAccountID", c.adquirente.tipo_documento)
    if c.documento_referencia is not None:
        doc = _sub(_sub(el, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _sub(doc, "cbc:ID", c.documento_referencia.serie_numero)
        _sub(doc, "cbc:DocumentTypeCode", c.documento_referencia.tipo_documento)
    _sub(_sub(el, "cac:Status"), "cbc:ConditionCode", rl.estado)
    _amt(el, "sac:TotalAmount", t.importe_total, m)
    for instruccion, attr in _INSTRUCCION_RESUMEN:
        valor = getattr(t, attr)
        if valor or (instruccion == "01" and not any(getattr(t, a) for _, a in _INSTRUCCION_RESUMEN)):
            pago = _sub(el, "sac:BillingPayment")
            _amt(pago, "cbc:PaidAmount", valor, m)
            _sub(pago, "cbc:InstructionID", instruccion)
    if t.cargos:
        ac = _sub(el, "cac:AllowanceCharge")
        _sub(ac, "cbc:ChargeIndicator", "true")
        _amt(ac, "cbc:Amount", t.cargos, m)
    for codigo, valor in (("1000", t.igv), ("2000", t.isc), ("7152", t.icbper), ("1016", t.ivap)):
        if codigo == "1000" or valor:
            tax = _sub(el, "cac:TaxTotal")
            _amt(tax, "cbc:TaxAmount", valor, m)
            sub = _sub(tax, "cac:TaxSubtotal")
            _amt(sub, "cbc:TaxAmount", valor, m)
            scheme = _sub(_sub(sub, "cac:TaxCategory"), "cac:TaxScheme")
            tributo = cat.CAT_05_TRIBUTO[codigo]
            _sub(scheme, "cbc:ID", codigo)
            _sub(scheme, "cbc:Name", tributo.nombre)
            _sub(scheme, "cbc:TaxTypeCode", tributo.codigo_internacional)


def construir_resumen_diario(resumen: ResumenDiario) -> bytes:
    """Unsigned SummaryDocuments (RC) XML, UBL 2.0 / CustomizationID 1.1."""
    exigir_texto_representable(resumen)
    root = _cabecera_v20("RC", resumen.identificador, resumen.fecha_referencia, resumen.fecha_generacion,
                         resumen.emisor, "1.1")
    for i, rl in enumerate(resumen.lineas, start=1):
        _resumen_linea(root, i, rl)
    return _serializar(root)


def construir_comunicacion_baja(baja: ComunicacionBaja) -> bytes:
    """Unsigned VoidedDocuments (RA) XML, UBL 2.0 / CustomizationID 1.0."""
    exigir_texto_representable(baja)
    root = _cabecera_v20("RA", baja.identificador, baja.fecha_referencia, baja.fecha_generacion, baja.emisor,
                         "1.0")
    for i, linea in enumerate(baja.lineas, start=1):
        el = _sub(root, "sac:VoidedDocumentsLine")
        _sub(el, "cbc:LineID", str(i))
        _sub(el, "cbc:DocumentTypeCode", linea.tipo_documento)
        _sub(el, "sac:DocumentSerialID", linea.serie)
        _sub(el, "sac:DocumentNumberID", str(linea.numero))
        _sub(el, "sac:VoidReasonDescription", linea.motivo)
    return _serializar(root)


def construir(documento: Comprobante | ResumenDiario | ComunicacionBaja) -> bytes:
    """Dispatch to the right builder."""
    if isinstance(documento, Comprobante):
        return construir_xml(documento)
    if isinstance(documento, ResumenDiario):
        return construir_resumen_diario(documento)
    return construir_comunicacion_baja(documento)


__all__ = [
    "NS",
    "SIGNATURE_ID",
    "calcular_linea",
    "construir",
    "construir_comunicacion_baja",
    "construir_resumen_diario",
    "construir_xml",
]
