"""XSD validation of SUNAT documents against the vendored schemas in ``xsd/`` (works offline).

Public API::

    validar(xml: bytes) -> list[str]   # empty list = valid

The root element picks the schema: Invoice / CreditNote / DebitNote / DespatchAdvice (OASIS UBL 2.1) or
SummaryDocuments / VoidedDocuments (SUNAT UBL 2.0 + Peruvian extensions). Each schema is compiled once and cached.
Messages look like ``"line 12: Element '...': This element is not expected."``.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from lxml import etree

XSD_DIR = Path(__file__).resolve().parent / "xsd"

ESQUEMAS: dict[str, str] = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote":
        "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
    "{urn:oasis:names:specification:ubl:schema:xsd:DebitNote-2}DebitNote": "ubl-2.1/maindoc/UBL-DebitNote-2.1.xsd",
    "{urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2}DespatchAdvice":
        "ubl-2.1/maindoc/UBL-DespatchAdvice-2.1.xsd",
    "{urn:sunat:names:specification:ubl:peru:schema:xsd:SummaryDocuments-1}SummaryDocuments":
        "sunat-1.0/maindoc/UBLPE-SummaryDocuments-1.0.xsd",
    "{urn:sunat:names:specification:ubl:peru:schema:xsd:VoidedDocuments-1}VoidedDocuments":
        "sunat-1.0/maindoc/UBLPE-VoidedDocuments-1.0.xsd",
}

_lock = threading.Lock()


@cache
def esquema(ruta: str) -> etree.XMLSchema:
    """Compile (once) and return the schema at ``xsd/<ruta>``."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(XSD_DIR / ruta), parser))


def validar(xml: bytes) -> list[str]:
    """Validate ``xml`` against the schema of its root element; return the error messages (empty = valid)."""
    try:
        doc = etree.fromstring(xml, etree.XMLParser(no_network=True, resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        return [f"XML mal formado: {exc}"]
    ruta = ESQUEMAS.get(doc.tag)
    if ruta is None:
        return [f"Elemento raíz no soportado: {doc.tag}"]
    with _lock:  # an XMLSchema's error_log is per instance; keep validation + log read atomic
        schema = esquema(ruta)
        if schema.validate(doc):
            return []
        return [f"line {e.line}: {e.message}" for e in schema.error_log]
