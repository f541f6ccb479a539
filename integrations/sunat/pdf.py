"""The printed representation of a comprobante (weasyprint + Jinja2): A4 or an 80 mm ticket, with company
data, customer, lines, taxes by tributo, the amount in words (legend 1000), the hash (DigestValue) and the
SUNAT QR. Same document → same bytes (fixed PDF metadata), so a stored PDF can be re-verified.

``generar_pdf(documento, qr, hash_="", formato="A4") -> bytes``; `qr` is the text encoded in the QR code
(`RUC|TIPO|SERIE|NUMERO|IGV|TOTAL|FECHA|TIPO DOC ADQ|NUM DOC ADQ|HASH|`).
"""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from weasyprint import HTML  # imported at load: cffi's first import is not thread-safe

from integrations.sunat import catalogos as cat
from integrations.sunat.documento import Comprobante
from integrations.sunat.totales import calcular
from integrations.sunat.totales import monto_en_letras as totales_monto_en_letras

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(["html"]))
TITULOS = {"01": "FACTURA ELECTRÓNICA", "03": "BOLETA DE VENTA ELECTRÓNICA",
           "07": "NOTA DE CRÉDITO ELECTRÓNICA", "08": "NOTA DE DÉBITO ELECTRÓNICA"}
MONEDAS = {"PEN": "SOLES", "USD": "DÓLARES AMERICANOS"}
FORMATOS = {"A4": "comprobante_a4.html", "ticket": "comprobante_ticket.html"}


def monto_en_letras(total: Decimal, moneda: str) -> str:
    """Legend 1000: 'CIENTO DIECIOCHO CON 00/100 SOLES' (one implementation, in totales)."""
    return totales_monto_en_letras(total, moneda)


def _qr_svg(texto: str) -> str:
    return segno.make(texto, error="m").svg_data_uri(scale=4, border=2)


def generar_pdf(documento: Comprobante, qr: str, hash_: str = "", formato: str = "A4") -> bytes:
    totales = calcular(documento)
    html = TEMPLATES.get_template(FORMATOS[formato]).render(
        d=documento, t=totales, titulo=TITULOS.get(documento.tipo_documento, "COMPROBANTE ELECTRÓNICO"),
        lineas=list(zip(documento.lineas, totales.lineas, strict=True)),
        letras=monto_en_letras(totales.importe_total, documento.moneda), hash=hash_, qr_svg=_qr_svg(qr),
        operaciones=cat.CAT_51_TIPO_OPERACION, bienes=cat.CAT_54_BIEN_SERVICIO_DETRACCION, medios=cat.CAT_59_MEDIO_PAGO,
    )
    # The document's own date as PDF metadata (not "now"): rendering twice gives identical bytes.
    fecha = datetime.combine(documento.fecha_emision, datetime.min.time(), UTC).isoformat()
    pdf = HTML(string=html).render()
    pdf.metadata.created = pdf.metadata.modified = fecha
    pdf.metadata.title = f"{documento.serie_numero}"
    return pdf.write_pdf()
