"""Stand-in for `integrations.sunat.firma` and `integrations.sunat.pdf` until those modules land.

Same function signatures as the planned modules, so the services import `firma` / `pdf` from
`services.facturacion_sunat` and switch automatically once the real ones exist. Delete this file then.
"""

import base64
import functools
import html
import io
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import segno
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from lxml import etree
from weasyprint import HTML  # imported once, at load: cffi's first import is not thread-safe

from integrations.sunat.documento import Comprobante
from integrations.sunat.totales import calcular

NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"


def generar_certificado_demo(ruc: str, razon_social: str) -> tuple[bytes, str]:
    """A self-signed PFX (PKCS#12) for the company, valid 5 years, and its password."""
    clave = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    nombre = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "PE"),
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, razon_social[:64]),
                        x509.NameAttribute(NameOID.COMMON_NAME, f"{ruc} DEMO")])
    ahora = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(nombre).issuer_name(nombre).public_key(clave.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(ahora - timedelta(days=1))
            .not_valid_after(ahora + timedelta(days=5 * 365)).sign(clave, hashes.SHA256()))
    password = secrets.token_urlsafe(16)
    pfx = pkcs12.serialize_key_and_certificates(
        ruc.encode(), clave, cert, None, serialization.BestAvailableEncryption(password.encode()))
    return pfx, password


@functools.lru_cache(maxsize=8)
def _cargar_pfx(pfx: bytes, password: str) -> tuple[Any, x509.Certificate]:
    """Opening a PKCS#12 costs ~40 ms (key derivation): once per certificate."""
    clave, cert, _ = pkcs12.load_key_and_certificates(pfx, password.encode())
    return clave, cert


def firmar_xml(xml: bytes, pfx: bytes, password: str) -> tuple[bytes, str]:
    """Enveloped XMLDSig (RSA-SHA256, C14N) inside ext:ExtensionContent, Id SignatureSP; returns the
    signed XML and its DigestValue."""
    from signxml import XMLSigner
    from signxml.algorithms import CanonicalizationMethod

    clave, cert = _cargar_pfx(pfx, password)
    raiz = etree.fromstring(xml)
    etree.SubElement(raiz.find(f".//{{{NS_EXT}}}ExtensionContent"), f"{{{NS_DS}}}Signature", Id="placeholder")
    firmado = XMLSigner(c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0).sign(
        raiz, key=clave, cert=cert.public_bytes(serialization.Encoding.PEM).decode())
    firmado.find(f".//{{{NS_DS}}}Signature").set("Id", "SignatureSP")  # outside SignedInfo: not signed
    digest = firmado.find(f".//{{{NS_DS}}}DigestValue").text or ""
    return etree.tostring(firmado, xml_declaration=True, encoding="UTF-8"), digest


def _qr_png(texto: str) -> str:
    buffer = io.BytesIO()
    segno.make(texto, error="m").save(buffer, kind="png", scale=5, border=2)
    return base64.b64encode(buffer.getvalue()).decode()


def generar_pdf(documento: Comprobante, qr: str, hash_: str = "") -> bytes:
    """A4 representation with the SUNAT QR."""
    t = calcular(documento)
    e = html.escape
    filas = "".join(
        f"<tr><td>{e(linea.codigo_producto)}</td><td>{e(linea.descripcion)}</td><td>{linea.cantidad}</td>"
        f"<td>{tl.valor_unitario}</td><td>{tl.valor_venta:.2f}</td></tr>"
        for linea, tl in zip(documento.lineas, t.lineas, strict=True))
    cuerpo = f"""<html><body style="font-family: sans-serif; font-size: 10pt">
      <h2>{e(documento.emisor.razon_social)} — RUC {documento.emisor.ruc}</h2>
      <h3>{documento.tipo_documento} {e(documento.serie_numero)}</h3>
      <p>Cliente: {e(documento.adquirente.nombre)} ({documento.adquirente.numero_documento})<br>
      Fecha: {documento.fecha_emision}</p>
      <table border="1" cellspacing="0" cellpadding="3"><tr><th>Código</th><th>Descripción</th><th>Cant.</th>
      <th>V. unit.</th><th>Valor</th></tr>{filas}</table>
      <p>Gravado {t.gravado:.2f} · IGV {t.igv:.2f} · Total {documento.moneda} {t.importe_total:.2f}</p>
      <img src="data:image/png;base64,{_qr_png(qr)}" style="width: 4cm"><p>Hash: {e(hash_)}</p>
    </body></html>"""
    return HTML(string=cuerpo).write_pdf()
