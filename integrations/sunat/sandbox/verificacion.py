"""The sandbox's document checks, as SUNAT codes: XSD (0306), signature (1059 / 2335 / 2336) and the
validation rules of `integrations.sunat.reglas`. Same library the ERP uses, so both sides agree."""

from __future__ import annotations

from lxml import etree

from integrations.sunat import firma, reglas, xsd

NS_DS = "http://www.w3.org/2000/09/xmldsig#"


def validar_xsd(xml: bytes) -> list[str]:
    return [str(e) for e in xsd.validar(xml)]


def validar_reglas(xml: bytes) -> list[tuple[str, str]]:
    """(codigo, mensaje) per finding, in the order the rules report them."""
    return [(h.codigo, h.mensaje) for h in reglas.validar_reglas(xml)]


def verificar_firma(xml: bytes) -> tuple[str, str] | None:
    """``None`` when the signature is valid, else (SUNAT code, detail): 1059 no signature,
    2335 altered document or invalid signature, 0306 unreadable XML."""
    try:
        raiz = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return "0306", str(exc)
    if raiz.find(f".//{{{NS_DS}}}Signature") is None:
        return "1059", "no se encontró ds:Signature"
    try:
        firma.verificar_firma(xml)
    except firma.FirmaInvalida as exc:
        return "2335", str(exc)
    return None
