"""XMLDSig for SUNAT documents: the company's PFX, enveloped RSA-SHA256 signature inside
`ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent`, Id "SignatureSP" (referenced by cac:Signature).

Public API:
- ``generar_certificado_demo(ruc, razon_social) -> (pfx, password)``: self-signed certificate for dev/tests.
- ``firmar_xml(xml, pfx, password) -> (signed_xml, digest_value)``: the DigestValue is the "hash" printed on the
  PDF and in the QR. RSA PKCS#1 v1.5 is deterministic: same document and key, same bytes.
- ``verificar_firma(xml) -> None``: independent check with the embedded certificate; raises ``FirmaInvalida``.
"""

import functools
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import InvalidInput, InvalidSignature, XMLSigner, XMLVerifier
from signxml.algorithms import CanonicalizationMethod

from integrations.sunat.ubl import SIGNATURE_ID

NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


class FirmaInvalida(Exception):
    """The signature is missing, malformed, or does not match the document (altered content)."""


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
def _cargar_pfx(pfx: bytes, password: str) -> tuple[Any, str]:
    """Opening a PKCS#12 costs ~40 ms (key derivation): once per certificate."""
    clave, cert, _ = pkcs12.load_key_and_certificates(pfx, password.encode())
    if clave is None or cert is None:
        raise ValueError("el PFX no contiene clave privada y certificado")
    return clave, cert.public_bytes(serialization.Encoding.PEM).decode()


def firmar_xml(xml: bytes, pfx: bytes, password: str) -> tuple[bytes, str]:
    """Enveloped XMLDSig (RSA-SHA256, SHA-256 digest, inclusive C14N 1.0 as SUNAT uses)."""
    clave, cert_pem = _cargar_pfx(pfx, password)
    raiz = etree.fromstring(xml, parser=_PARSER)
    contenido = raiz.find(f".//{{{NS_EXT}}}ExtensionContent")
    if contenido is None:
        raise ValueError("el XML no tiene ext:ExtensionContent donde ubicar la firma")
    # signxml puts an enveloped signature where it finds <ds:Signature Id="placeholder"/>.
    etree.SubElement(contenido, f"{{{NS_DS}}}Signature", Id="placeholder")
    firmado = XMLSigner(c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0).sign(
        raiz, key=clave, cert=cert_pem)
    firmado.find(f".//{{{NS_DS}}}Signature").set("Id", SIGNATURE_ID)  # attribute outside SignedInfo
    digest = firmado.find(f".//{{{NS_DS}}}DigestValue").text or ""
    return etree.tostring(firmado, xml_declaration=True, encoding="UTF-8"), digest


def _certificado_embebido(raiz: etree._Element) -> str:
    nodo = raiz.find(f".//{{{NS_DS}}}X509Certificate")
    if nodo is None or not (nodo.text or "").strip():
        raise FirmaInvalida("la firma no incluye el certificado X509")
    cuerpo = "".join((nodo.text or "").split())
    lineas = [cuerpo[i:i + 64] for i in range(0, len(cuerpo), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lineas) + "\n-----END CERTIFICATE-----\n"


def verificar_firma(xml: bytes) -> None:
    try:
        raiz = etree.fromstring(xml, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise FirmaInvalida(f"XML mal formado: {exc}") from exc
    if raiz.find(f".//{{{NS_DS}}}Signature") is None:
        raise FirmaInvalida("el documento no está firmado")
    try:
        XMLVerifier().verify(raiz, x509_cert=_certificado_embebido(raiz))
    except (InvalidSignature, InvalidInput) as exc:
        raise FirmaInvalida(f"firma inválida o documento alterado: {exc}") from exc
