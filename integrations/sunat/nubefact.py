"""Nubefact JSON API behind :class:`~integrations.sunat.provider.ProveedorSunat`.

Nubefact builds, signs and sends the XML itself, so ``enviar_comprobante`` maps our UBL to
Nubefact's JSON (``operacion: generar_comprobante``); our signature is not used. Every call is a
``POST <ruta>`` with ``Authorization: Token token="<token>"``.

* ``consultar_cdr`` -> ``consultar_comprobante``
* ``enviar_resumen`` of a comunicación de baja (RA) -> one ``generar_anulacion`` per line; the
  returned ticket is ``nubefact-baja:<tipo>:<serie>:<numero>[;...]`` and ``consultar_ticket``
  asks ``consultar_anulacion``.
* Resúmenes diarios (RC) are produced by Nubefact itself for boletas: the ticket
  ``nubefact-rc:<nombre>`` resolves to ACEPTADO without a CDR.
"""

from __future__ import annotations

from decimal import Decimal

import httpx
from lxml import etree

from integrations.sunat.cdr import ClaseCodigo, clasificar_codigo, normalizar_codigo
from integrations.sunat.provider import (
    EstadoSunat,
    Observacion,
    ResultadoEnvio,
    SunatCdrNoEncontrado,
    SunatErrorEnvio,
    SunatNoDisponible,
    SunatTimeout,
    SunatYaRegistrado,
)

TIPO_A_NUBEFACT = {"01": 1, "03": 2, "07": 3, "08": 4}
MONEDA = {"PEN": 1, "USD": 2, "EUR": 3}
# Catálogo 07 (afectación IGV) -> Nubefact tipo_de_igv.
AFECTACION_IGV = {"10": 1, "11": 2, "12": 3, "13": 4, "14": 5, "15": 6, "16": 7, "20": 8, "21": 16,
                  "30": 9, "31": 10, "32": 11, "33": 12, "34": 13, "35": 14, "36": 15, "40": 17}


# --------------------------------------------------------------------------- UBL -> JSON


def _t(nodo: etree._Element, ruta: str) -> str:
    encontrados = nodo.xpath(ruta)
    return (encontrados[0].text or "").strip() if encontrados else ""


def _l(nombre: str) -> str:
    return f"*[local-name()='{nombre}']"


def _item(linea: etree._Element) -> dict:
    cantidad = linea.xpath(f"{_l('InvoicedQuantity')}|{_l('CreditedQuantity')}|{_l('DebitedQuantity')}")
    subtotal = Decimal(_t(linea, _l("LineExtensionAmount")) or "0")
    igv = Decimal(_t(linea, f"{_l('TaxTotal')}/{_l('TaxAmount')}") or "0")
    afectacion = _t(linea, f"{_l('TaxTotal')}/{_l('TaxSubtotal')}/{_l('TaxCategory')}/{_l('TaxExemptionReasonCode')}")
    precio = _t(linea, f"{_l('PricingReference')}/{_l('AlternativeConditionPrice')}/{_l('PriceAmount')}")
    return {
        "unidad_de_medida": cantidad[0].get("unitCode", "NIU") if cantidad else "NIU",
        "codigo": _t(linea, f"{_l('Item')}/{_l('SellersItemIdentification')}/{_l('ID')}"),
        "descripcion": _t(linea, f"{_l('Item')}/{_l('Description')}"),
        "cantidad": (cantidad[0].text or "0").strip() if cantidad else "0",
        "valor_unitario": _t(linea, f"{_l('Price')}/{_l('PriceAmount')}"),
        "precio_unitario": precio,
        "subtotal": str(subtotal),
        "tipo_de_igv": AFECTACION_IGV.get(afectacion or "10", 1),
        "igv": str(igv),
        "total": str(subtotal + igv),
        "anticipo_regularizacion": False,
    }


def ubl_a_nubefact(nombre: str, xml: bytes) -> dict:
    """``nombre`` = RUC-TT-SERIE-NUMERO; the XML is our UBL 2.1 comprobante."""
    raiz = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    _, tipo, serie, numero = nombre.split("-")
    cliente = raiz.xpath(f"{_l('AccountingCustomerParty')}/{_l('Party')}")
    cliente = cliente[0] if cliente else raiz
    fecha = _t(raiz, _l("IssueDate"))
    total_igv = _t(raiz, f"{_l('TaxTotal')}/{_l('TaxAmount')}") or "0"
    lineas = raiz.xpath(f"{_l('InvoiceLine')}|{_l('CreditNoteLine')}|{_l('DebitNoteLine')}")
    datos = {
        "operacion": "generar_comprobante",
        "tipo_de_comprobante": TIPO_A_NUBEFACT[tipo],
        "serie": serie,
        "numero": int(numero),
        "sunat_transaction": 1,
        "cliente_tipo_de_documento": cliente.xpath(f"{_l('PartyIdentification')}/{_l('ID')}/@schemeID")[0]
        if cliente.xpath(f"{_l('PartyIdentification')}/{_l('ID')}/@schemeID") else "-",
        "cliente_numero_de_documento": _t(cliente, f"{_l('PartyIdentification')}/{_l('ID')}"),
        "cliente_denominacion": _t(cliente, f"{_l('PartyLegalEntity')}/{_l('RegistrationName')}"),
        "cliente_direccion": _t(cliente, f".//{_l('AddressLine')}/{_l('Line')}"),
        "fecha_de_emision": "-".join(reversed(fecha.split("-"))) if fecha else "",
        "moneda": MONEDA.get(_t(raiz, _l("DocumentCurrencyCode")) or "PEN", 1),
        "porcentaje_de_igv": "18.00",
        "total_gravada": _t(raiz, f"{_l('LegalMonetaryTotal')}/{_l('LineExtensionAmount')}"),
        "total_igv": total_igv,
        "total": _t(raiz, f"{_l('LegalMonetaryTotal')}/{_l('PayableAmount')}"),
        "enviar_automaticamente_a_la_sunat": True,
        "enviar_automaticamente_al_cliente": False,
        "items": [_item(linea) for linea in lineas],
    }
    if tipo in ("07", "08"):
        referencia = _t(raiz, f"{_l('BillingReference')}/{_l('InvoiceDocumentReference')}/{_l('ID')}")
        tipo_ref = _t(raiz, f"{_l('BillingReference')}/{_l('InvoiceDocumentReference')}/{_l('DocumentTypeCode')}")
        serie_ref, _, numero_ref = referencia.partition("-")
        motivo = _t(raiz, f"{_l('DiscrepancyResponse')}/{_l('ResponseCode')}")
        datos.update(
            documento_que_se_modifica_tipo=TIPO_A_NUBEFACT.get(tipo_ref, 1),
            documento_que_se_modifica_serie=serie_ref,
            documento_que_se_modifica_numero=int(numero_ref or 0),
        )
        datos["tipo_de_nota_de_credito" if tipo == "07" else "tipo_de_nota_de_debito"] = int(motivo or 1)
    return datos


# --------------------------------------------------------------------------- provider


class ProveedorNubefact:
    def __init__(self, url: str, token: str, *, timeout_conexion: float = 5.0, timeout_lectura: float = 30.0,
                 transport: httpx.BaseTransport | None = None):
        self.url, self._token, self._transport = url, token, transport
        self.timeout = httpx.Timeout(connect=timeout_conexion, read=timeout_lectura,
                                     write=timeout_lectura, pool=timeout_conexion)

    def _post(self, datos: dict) -> dict:
        cabeceras = {"Authorization": f'Token token="{self._token}"', "Content-Type": "application/json"}
        try:
            with httpx.Client(timeout=self.timeout, transport=self._transport) as http:
                respuesta = http.post(self.url, json=datos, headers=cabeceras)
        except httpx.TimeoutException as exc:
            raise SunatTimeout("Nubefact no respondió a tiempo") from exc
        except httpx.TransportError as exc:
            raise SunatNoDisponible(f"no se pudo conectar con Nubefact: {exc}") from exc
        if respuesta.status_code >= 500:
            raise SunatNoDisponible(f"Nubefact respondió HTTP {respuesta.status_code}")
        try:
            cuerpo = respuesta.json()
        except ValueError as exc:
            raise SunatErrorEnvio(f"respuesta no JSON de Nubefact (HTTP {respuesta.status_code})") from exc
        if "errors" in cuerpo:
            codigo = str(cuerpo.get("codigo", ""))
            mensaje = str(cuerpo["errors"])
            if codigo == "23":
                raise SunatYaRegistrado(mensaje, codigo)
            if codigo == "24":
                raise SunatCdrNoEncontrado(mensaje, codigo)
            raise SunatErrorEnvio(mensaje, codigo)
        return cuerpo

    @staticmethod
    def _resultado(cuerpo: dict) -> ResultadoEnvio | None:
        """``None`` when Nubefact has not got SUNAT's answer yet."""
        codigo = normalizar_codigo(str(cuerpo.get("sunat_responsecode") or "")) if cuerpo.get(
            "sunat_responsecode") not in (None, "") else ""
        mensaje = str(cuerpo.get("sunat_description") or "")
        nota = cuerpo.get("sunat_note")
        observaciones = [Observacion("", str(nota))] if nota else []
        if cuerpo.get("aceptada_por_sunat"):
            estado = EstadoSunat.OBSERVADO if observaciones else EstadoSunat.ACEPTADO
            return ResultadoEnvio(estado, codigo or "0", mensaje, observaciones)
        if codigo and clasificar_codigo(codigo) is ClaseCodigo.RECHAZADO:
            return ResultadoEnvio(EstadoSunat.RECHAZADO, codigo, mensaje)
        return None

    def enviar_comprobante(self, nombre: str, xml_firmado: bytes) -> ResultadoEnvio:
        cuerpo = self._post(ubl_a_nubefact(nombre, xml_firmado))
        resultado = self._resultado(cuerpo)
        if resultado is None:
            error = cuerpo.get("sunat_soap_error") or "Nubefact aún no tiene respuesta de SUNAT"
            raise SunatNoDisponible(str(error))
        return resultado

    def enviar_resumen(self, nombre: str, xml: bytes) -> str:
        _, tipo, *_ = nombre.split("-")
        if tipo == "RC":
            return f"nubefact-rc:{nombre}"
        if tipo != "RA":
            raise SunatErrorEnvio(f"Nubefact no recibe resúmenes {tipo}")
        raiz = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
        claves = []
        for linea in raiz.xpath(_l("VoidedDocumentsLine")):
            tipo_doc = _t(linea, _l("DocumentTypeCode"))
            serie, numero = _t(linea, _l("DocumentSerialID")), _t(linea, _l("DocumentNumberID"))
            self._post({"operacion": "generar_anulacion", "tipo_de_comprobante": TIPO_A_NUBEFACT[tipo_doc],
                        "serie": serie, "numero": int(numero), "motivo": _t(linea, _l("VoidReasonDescription")),
                        "codigo_unico": ""})
            claves.append(f"{tipo_doc}:{serie}:{numero}")
        return "nubefact-baja:" + ";".join(claves)

    def consultar_ticket(self, ticket: str) -> ResultadoEnvio | None:
        prefijo, _, resto = ticket.partition(":")
        if prefijo == "nubefact-rc":
            return ResultadoEnvio(EstadoSunat.ACEPTADO, "0", "Resumen diario enviado por Nubefact")
        if prefijo != "nubefact-baja":
            raise SunatErrorEnvio(f"ticket Nubefact desconocido: {ticket}")
        resultados = []
        for clave in resto.split(";"):
            tipo, serie, numero = clave.split(":")
            cuerpo = self._post({"operacion": "consultar_anulacion", "tipo_de_comprobante": TIPO_A_NUBEFACT[tipo],
                                 "serie": serie, "numero": int(numero)})
            resultado = self._resultado(cuerpo)
            if resultado is None:
                return None
            resultados.append(resultado)
        rechazados = [r for r in resultados if r.estado is EstadoSunat.RECHAZADO]
        return rechazados[0] if rechazados else resultados[0]

    def consultar_cdr(self, ruc: str, tipo: str, serie: str, numero: int) -> ResultadoEnvio:
        cuerpo = self._post({"operacion": "consultar_comprobante", "tipo_de_comprobante": TIPO_A_NUBEFACT[tipo],
                             "serie": serie, "numero": int(numero)})
        resultado = self._resultado(cuerpo)
        if resultado is None:
            raise SunatNoDisponible("Nubefact aún no tiene respuesta de SUNAT para ese comprobante")
        return resultado
