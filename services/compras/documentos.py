"""A supplier's documents (invoices, freight and customs bills): their number however it is typed, and their due
date from the supplier's terms."""

import re
from datetime import date, timedelta

from core.errors import ValidationError
from models.compras import Proveedor

# "F001-123", "F001-00000123", "f001 123", "E001-5": a 4-character series, an optional separator, 1-8 digits.
NUMERO = re.compile(r"^\s*([A-Za-z0-9]{4})\s*[- ]?\s*0*([0-9]{1,8})\s*$")


def normalizar_numero(texto: str, campo: str = "numero_factura") -> tuple[str, int]:
    """("F001", 123) from any of the ways a user types a supplier's invoice number."""
    m = NUMERO.match(texto)
    if m is None or int(m.group(2)) == 0:
        raise ValidationError("Número de comprobante inválido: serie de 4 caracteres y número de hasta 8 dígitos "
                              "(F001-123)", field=campo)
    return m.group(1).upper(), int(m.group(2))


def vencimiento(proveedor: Proveedor, emision: date, propia: date | None) -> date:
    if propia is not None:
        if propia < emision:
            raise ValidationError("fecha_vencimiento no puede ser anterior a fecha_emision", field="fecha_vencimiento")
        return propia
    return emision + timedelta(days=proveedor.dias_credito if proveedor.condicion_pago == "CREDITO" else 0)
