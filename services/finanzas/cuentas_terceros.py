"""Customers' and suppliers' bank accounts (`cuentas_bancarias_terceros`) with the CCI validated, and the index
the reconciliation matcher reads them from: a statement line printing one of them names its party.

The CCI (código de cuenta interbancario, ASBANC) is 20 digits: entity (3) · branch (3) · account (12) · two check
digits, the first over entity+branch, the second over the account, each with weights 1, 2, 1, 2, … from the
left, the digits of each product added, and the check digit = (10 − sum mod 10) mod 10."""

import re
from typing import Literal

from pydantic import Field, field_validator
from sqlalchemy import select, text
from sqlmodel import Session

from core.db import paginar
from core.errors import NotFound, ValidationError
from core.schemas import Entrada, Id
from models.compras import Proveedor
from models.conciliacion import CuentaBancariaTercero
from models.ventas import Cliente

# Entity codes of the CCI (first three digits) of the banks a Peruvian company usually meets.
ENTIDADES = {"002": "BCP", "003": "INTERBANK", "009": "SCOTIABANK", "011": "BBVA", "018": "BN", "038": "BANBIF",
             "049": "MIBANCO"}


def digito_control(digitos: str) -> int:
    suma = 0
    for i, c in enumerate(digitos):
        producto = int(c) * (1 if i % 2 == 0 else 2)
        suma += producto // 10 + producto % 10
    return (10 - suma % 10) % 10


def error_cci(cci: str) -> str | None:
    """Why `cci` is not a valid CCI, or None."""
    if not re.fullmatch(r"[0-9]{20}", cci):
        return "el CCI tiene 20 dígitos"
    esperado = f"{digito_control(cci[:6])}{digito_control(cci[6:18])}"
    if cci[18:] != esperado:
        return f"dígitos de control del CCI incorrectos ({cci[18:]}; corresponde {esperado})"
    return None


def solo_digitos(texto: str) -> str:
    return re.sub(r"\D", "", texto)


class CuentaTerceroIn(Entrada):
    cliente_id: Id | None = None
    proveedor_id: Id | None = None
    banco: str | None = Field(default=None, min_length=2, max_length=30, description="implied by the CCI")
    numero: str = Field(default="", max_length=30, pattern=r"^([0-9][0-9 -]{4,28}[0-9])?$")
    cci: str = Field(default="", max_length=24, description="20 digits (dashes/spaces allowed), check digits verified")
    moneda: Literal["PEN", "USD"] = "PEN"
    titular: str = Field(default="", max_length=200)

    @field_validator("numero")
    @classmethod
    def _numero(cls, valor: str) -> str:
        if valor and not 6 <= len(solo_digitos(valor)) <= 20:
            raise ValueError("el número de cuenta tiene de 6 a 20 dígitos")
        return valor

    @field_validator("cci")
    @classmethod
    def _cci(cls, valor: str) -> str:
        cci = solo_digitos(valor)
        if valor.strip() and (motivo := error_cci(cci)):
            raise ValueError(motivo)
        return cci


class CuentaTerceroCambios(Entrada):
    activo: bool


def crear(session: Session, datos: CuentaTerceroIn) -> CuentaBancariaTercero:
    if (datos.cliente_id is None) == (datos.proveedor_id is None):
        raise ValidationError("Indique el cliente o el proveedor (uno de los dos)", field="cliente_id")
    if not datos.numero and not datos.cci:
        raise ValidationError("Indique el número de cuenta o el CCI", field="numero")
    if datos.cliente_id is not None and session.get(Cliente, datos.cliente_id) is None:
        raise NotFound("Cliente no encontrado", field="cliente_id")
    if datos.proveedor_id is not None and session.get(Proveedor, datos.proveedor_id) is None:
        raise NotFound("Proveedor no encontrado", field="proveedor_id")
    banco = (datos.banco or "").upper()
    if datos.cci:
        del_cci = ENTIDADES.get(datos.cci[:3], f"ENTIDAD {datos.cci[:3]}")
        if banco and banco != del_cci:
            raise ValidationError(f"El CCI es de {del_cci} (código {datos.cci[:3]}), no de {banco}", field="cci")
        banco = del_cci
    elif not banco:
        raise ValidationError("Sin CCI, indique el banco", field="banco")
    fila = CuentaBancariaTercero(cliente_id=datos.cliente_id, proveedor_id=datos.proveedor_id, banco=banco,
                                 numero=solo_digitos(datos.numero), cci=datos.cci, moneda=datos.moneda,
                                 titular=datos.titular)
    session.add(fila)
    session.commit()
    return fila


def listar(session: Session, cliente_id: int | None, proveedor_id: int | None, limit: int,
           offset: int) -> tuple[list[CuentaBancariaTercero], int]:
    q = select(CuentaBancariaTercero)
    if cliente_id is not None:
        q = q.where(CuentaBancariaTercero.cliente_id == cliente_id)
    if proveedor_id is not None:
        q = q.where(CuentaBancariaTercero.proveedor_id == proveedor_id)
    return paginar(session, q.order_by(CuentaBancariaTercero.id), limit, offset)


def cambiar(session: Session, cuenta_id: int, datos: CuentaTerceroCambios) -> CuentaBancariaTercero:
    fila = session.get(CuentaBancariaTercero, cuenta_id, with_for_update=True)
    if fila is None:
        raise NotFound("Cuenta bancaria del tercero no encontrada")
    fila.activo = datos.activo
    session.add(fila)
    session.commit()
    return fila


def por_parte(session: Session) -> dict[str, set[str]]:
    """Party document (RUC/DNI, as receivables and payables carry it) → its active account numbers and CCIs."""
    filas = session.execute(text("""
        SELECT coalesce(c.numero_doc, p.ruc) AS doc, t.numero, t.cci FROM cuentas_bancarias_terceros t
          LEFT JOIN clientes c ON c.id = t.cliente_id LEFT JOIN proveedores p ON p.id = t.proveedor_id
         WHERE t.activo"""))
    cuentas: dict[str, set[str]] = {}
    for f in filas:
        cuentas.setdefault(f.doc, set()).update(n for n in (f.numero, f.cci) if n)
    return cuentas
