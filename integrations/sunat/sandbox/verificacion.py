"""Adapters to the document checks of ``integrations.sunat`` (xsd, firma, reglas).

Those modules are owned by the UBL side. When one is not importable yet the sandbox degrades:
XSD and rules are skipped (logged once) and the signature is checked with a built-in XMLDSig
verifier using the embedded certificate.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from lxml import etree

log = logging.getLogger(__name__)
NS_DS = "http://www.w3.org/2000/09/xmldsig#"


@functools.cache
def _importar(modulo: str, nombre: str) -> Callable | None:
    try:
        return getattr(__import__(f"integrations.sunat.{modulo}", fromlist=[nombre]), nombre)
    except (ImportError, AttributeError):
        log.warning("sandbox SUNAT: integrations.sunat.%s.%s no disponible; se omite", modulo, nombre)
        return None


def disponibles() -> dict[str, bool]:
    return {
        "xsd": _importar("xsd", "validar") is not None,
        "firma": _importar("firma", "verificar_firma") is not None,
        "reglas": _importar("reglas", "validar_reglas") is not None,
    }


def validar_xsd(xml: bytes) -> list[str]:
    validar = _importar("xsd", "validar")
    if validar is None:
        return []
    return [str(e) for e in validar(xml)]


def validar_reglas(xml: bytes) -> list[tuple[str, str]]:
    """(codigo, mensaje) per finding, in the order the rules module reports them."""
    validar = _importar("reglas", "validar_reglas")
    if validar is None:
        return []
    hallazgos = []
    for h in validar(xml):
        codigo = getattr(h, "codigo", None) or getattr(h, "code", None) or ""
        mensaje = getattr(h, "mensaje", None) or getattr(h, "message", None) or str(h)
        hallazgos.append((str(codigo), str(mensaje)))
    return hallazgos


def verificar_firma(xml: bytes) -> tuple[str, str] | None:
    """``None`` when the signature is valid, else (SUNAT code, detail): 1059 no signature,
    2335 altered document, 2336 the verification itself failed."""
    try:
        raiz = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return "0306", str(exc)
    if raiz.find(f".//{{{NS_DS}}}Signature") is None:
        return "1059", "no se encontró ds:Signature"
    externo = _importar("firma", "verificar_firma")
    if externo is not None:
        return _con_modulo_firma(externo, xml)
    return _con_signxml(raiz, xml)


def _con_modulo_firma(verificar: Callable, xml: bytes) -> tuple[str, str] | None:
    try:
        verificar(xml)
    except Exception as exc:  # FirmaInvalida, or anything else the verifier raises
        if type(exc).__name__ == "FirmaInvalida":
            return "2335", str(exc)
        return "2336", f"{type(exc).__name__}: {exc}"
    return None


def _certificado_embebido(raiz: etree._Element) -> str | None:
    nodo = raiz.find(f".//{{{NS_DS}}}X509Certificate")
    if nodo is None or not (nodo.text or "").strip():
        return None
    cuerpo = "".join((nodo.text or "").split())
    lineas = [cuerpo[i : i + 64] for i in range(0, len(cuerpo), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lineas) + "\n-----END CERTIFICATE-----\n"


def _con_signxml(raiz: etree._Element, xml: bytes) -> tuple[str, str] | None:
    from signxml import InvalidDigest, InvalidSignature, XMLVerifier
    from signxml.algorithms import DigestAlgorithm, SignatureMethod
    from signxml.verifier import SignatureConfiguration

    certificado = _certificado_embebido(raiz)
    if certificado is None:
        return "2336", "la firma no trae X509Certificate"
    configuracion = SignatureConfiguration(
        signature_methods=frozenset(SignatureMethod), digest_algorithms=frozenset(DigestAlgorithm)
    )
    try:
        XMLVerifier().verify(xml, x509_cert=certificado, expect_config=configuracion)
    except (InvalidDigest, InvalidSignature) as exc:
        return "2335", str(exc)
    except Exception as exc:  # malformed signature, unsupported transform, bad certificate
        return "2336", f"{type(exc).__name__}: {exc}"
    return None
