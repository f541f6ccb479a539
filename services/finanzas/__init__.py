"""Module 6, finance and tax (Finanzas y tributación). The other modules call only what is exported here,
inside their own transaction (see docs/CONVENTIONS.md and the posting table in README "Finanzas")."""

from services.finanzas.contabilizar import (
    CostoAdicional,
    anular_comprobante,
    capitalizar_costos_vinculados,
    contabilizar_comprobante,
    contabilizar_venta,
    registrar_ingreso_costeado,
)
from services.finanzas.plan import sembrar

__all__ = ["CostoAdicional", "anular_comprobante", "capitalizar_costos_vinculados", "contabilizar_comprobante",
           "contabilizar_venta", "registrar_ingreso_costeado",
           "sembrar"]
