"""Approval tiers of purchase orders, configured in `niveles_aprobacion_compra` (not in code): an OC worth more
than a tier's `monto_minimo` (PEN) needs an approver of that tier or above; a user's tier is the highest whose
roles name the user's role. Up to the lowest threshold an OC is approved on submission. The approval workflow
takes a snapshot of them when it starts (activity `niveles_aprobacion_compra`), so a change of the table does
not move the goalposts of an OC already waiting."""

from decimal import Decimal

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session

from core.db import per_session
from core.errors import FieldError, ValidationError
from core.schemas import Entrada
from models.compras import NivelAprobacionCompra
from models.usuarios import Rol
from workflows.entradas import NivelAprobacion, NivelesAprobacion

# Written on first use (as the migration does) while the company has configured none.
POR_DEFECTO = (NivelAprobacion(1, "5000.00", ["FINANZAS", "CONTADOR", "ADMIN"]),
               NivelAprobacion(2, "50000.00", ["ADMIN"]))
MAX_NIVELES = 9


def niveles(session: Session) -> list[NivelAprobacion]:
    """The tiers, lowest first."""
    def cargar() -> list[NivelAprobacion]:
        filas = list(session.execute(select(NivelAprobacionCompra).order_by(NivelAprobacionCompra.nivel)).scalars())
        if not filas:
            session.execute(insert(NivelAprobacionCompra).values([
                {"nivel": n.nivel, "monto_minimo": Decimal(n.monto_minimo), "roles": n.roles,
                 "descripcion": "por defecto"} for n in POR_DEFECTO]).on_conflict_do_nothing(index_elements=["nivel"]))
            return list(POR_DEFECTO)
        return [NivelAprobacion(f.nivel, f"{Decimal(f.monto_minimo):.2f}", list(f.roles)) for f in filas]

    return per_session(session, "niveles_aprobacion_compra", cargar)


def requerido(tabla: list[NivelAprobacion], total_pen: Decimal) -> int:
    """The tier an OC worth `total_pen` needs (0: approved on submission)."""
    return max((n.nivel for n in tabla if total_pen > Decimal(n.monto_minimo)), default=0)


def de_rol(tabla: list[NivelAprobacion], rol: str) -> int:
    return NivelesAprobacion(tabla).de_rol(rol)


def roles_desde(tabla: list[NivelAprobacion], nivel: int) -> list[str]:
    """The roles that approve an OC of `nivel` (they hold that tier or a higher one)."""
    return sorted({r for n in tabla if n.nivel >= nivel for r in n.roles})


def nombre(tabla: list[NivelAprobacion], nivel: int) -> str:
    return " o ".join(roles_desde(tabla, nivel)) or f"nivel {nivel}"


def mas_alto(tabla: list[NivelAprobacion]) -> int:
    return max((n.nivel for n in tabla), default=0)


def umbral_automatico(tabla: list[NivelAprobacion]) -> Decimal | None:
    return min((Decimal(n.monto_minimo) for n in tabla), default=None)


class NivelIn(Entrada):
    monto_minimo: Decimal = Field(ge=0, max_digits=14, decimal_places=2,
                                  description="OCs por encima de este monto (PEN) requieren este nivel")
    roles: list[str] = Field(min_length=1, max_length=20, description="roles que aprueban este nivel (y los menores)")
    descripcion: str = Field(default="", max_length=200)


class NivelesIn(Entrada):
    niveles: list[NivelIn] = Field(min_length=1, max_length=MAX_NIVELES,
                                   description="del menor al mayor: el nivel es la posición (1, 2, ...)")


def cambiar(session: Session, datos: NivelesIn) -> list[NivelAprobacionCompra]:
    """Replace the tiers (levels numbered by position): thresholds strictly increasing, roles that exist. One
    transaction; OCs already waiting keep the tiers their workflow read when it started."""
    existentes = set(session.execute(select(Rol.nombre)).scalars())
    errores = []
    for i, nivel in enumerate(datos.niveles):
        if i and nivel.monto_minimo <= datos.niveles[i - 1].monto_minimo:
            errores.append(FieldError(f"niveles.{i}.monto_minimo", "Cada nivel debe empezar en un monto mayor que el "
                                      f"anterior ({datos.niveles[i - 1].monto_minimo})"))
        desconocidos = [r for r in nivel.roles if r not in existentes]
        if desconocidos:
            errores.append(FieldError(f"niveles.{i}.roles", f"Roles inexistentes: {', '.join(desconocidos)}"))
        if len(set(nivel.roles)) != len(nivel.roles):
            errores.append(FieldError(f"niveles.{i}.roles", "Un rol aparece dos veces"))
    if errores:
        raise ValidationError(errores[0].message, errors=errores)
    for fila in session.execute(select(NivelAprobacionCompra)).scalars():
        session.delete(fila)  # one by one: each change is audited
    session.flush()
    session.add_all([NivelAprobacionCompra(nivel=i, monto_minimo=n.monto_minimo, roles=n.roles,
                                           descripcion=n.descripcion) for i, n in enumerate(datos.niveles, start=1)])
    session.commit()
    return listar(session)


def listar(session: Session) -> list[NivelAprobacionCompra]:
    niveles(session)  # the defaults, on first use
    session.flush()
    return list(session.execute(select(NivelAprobacionCompra).order_by(NivelAprobacionCompra.nivel)
                                .execution_options(populate_existing=True)).scalars())

