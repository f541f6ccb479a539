"""Journal entries: the one writer of `asientos_contables` + `lineas_asiento`, used by the automatic postings and
by the accountant's manual entries. Every rule is checked here first (a 400 naming the field) and again by the
database (migration 0012), so no path can store an entry that does not balance."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from pydantic import Field
from sqlalchemy import select, text
from sqlmodel import Session

from core.errors import Conflict, FieldError, NotFound, ValidationError
from core.schemas import Entrada, Fecha, Id
from core.settings import get_settings
from models.finanzas import AsientoContable, CentroCosto, CuentaContable, LineaAsiento
from services.finanzas import configuracion, plan

CERO = Decimal("0.00")
CENTIMO = Decimal("0.01")


def redondear(valor: Decimal) -> Decimal:
    return valor.quantize(CENTIMO, rounding=ROUND_HALF_UP)


def hoy() -> date:
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def periodo_de(fecha: date) -> str:
    return f"{fecha:%Y%m}"


@dataclass
class Movimiento:
    """One side of one account in an entry (exactly one of debe/haber is positive)."""

    cuenta_id: int
    debe: Decimal = CERO
    haber: Decimal = CERO
    descripcion: str = ""
    centro_costo_id: int | None = None


@dataclass
class Asiento:
    fecha: date
    descripcion: str
    referencia_tipo: str
    referencia_id: str
    movimientos: list[Movimiento]
    centro_costo_id: int | None = None
    usuario_id: int | None = None
    origen: str = "AUTOMATICO"
    moneda: str = "PEN"
    tipo_cambio: Decimal = Decimal("1")
    revierte_id: int | None = None
    campo: str = "lineas"  # field prefix the errors name (the manual entry's request body)
    errores: list[FieldError] = field(default_factory=list)


def debe(cuenta_id: int, monto: Decimal, descripcion: str = "") -> Movimiento:
    return Movimiento(cuenta_id, debe=monto, descripcion=descripcion)


def haber(cuenta_id: int, monto: Decimal, descripcion: str = "") -> Movimiento:
    return Movimiento(cuenta_id, haber=monto, descripcion=descripcion)


def _validar_lados(a: Asiento) -> None:
    for i, m in enumerate(a.movimientos):
        campo = f"{a.campo}.{i}"
        if m.debe < 0 or m.haber < 0:
            a.errores.append(FieldError(f"{campo}.debe" if m.debe < 0 else f"{campo}.haber",
                                        "Los importes no pueden ser negativos"))
        elif (m.debe > 0) == (m.haber > 0):
            a.errores.append(FieldError(campo, "Cada línea lleva un importe al debe o al haber (uno solo, > 0)"))
        elif m.debe != redondear(m.debe) or m.haber != redondear(m.haber):
            a.errores.append(FieldError(campo, "Los importes llevan como máximo dos decimales"))


def _validar_cuadre(a: Asiento) -> None:
    total_debe = sum((m.debe for m in a.movimientos), CERO)
    total_haber = sum((m.haber for m in a.movimientos), CERO)
    if total_debe != total_haber:
        a.errores.append(FieldError(a.campo, f"El asiento no cuadra: debe {total_debe}, haber {total_haber} "
                                             f"(diferencia {total_debe - total_haber})"))
    elif not any(m.debe > 0 for m in a.movimientos) or not any(m.haber > 0 for m in a.movimientos):
        a.errores.append(FieldError(a.campo, "El asiento necesita al menos una línea al debe y una al haber"))


def _imputables(session: Session) -> frozenset[int]:
    """Active leaf accounts (services.finanzas.configuracion). The database trigger re-checks every line."""
    return configuracion.vigente(session).imputables


def _validar_cuentas(session: Session, a: Asiento) -> None:
    ids = {m.cuenta_id for m in a.movimientos}
    if ids <= _imputables(session):
        return
    cuentas = {c.id: c for c in session.execute(select(CuentaContable).where(CuentaContable.id.in_(ids))).scalars()}
    for i, m in enumerate(a.movimientos):
        cuenta = cuentas.get(m.cuenta_id)
        if cuenta is None:
            a.errores.append(FieldError(f"{a.campo}.{i}.cuenta", "La cuenta no existe"))
        elif not cuenta.activo:
            a.errores.append(FieldError(f"{a.campo}.{i}.cuenta", f"La cuenta {cuenta.codigo} está inactiva"))
        elif not cuenta.acepta_movimiento:
            a.errores.append(FieldError(f"{a.campo}.{i}.cuenta", f"La cuenta {cuenta.codigo} no es de último "
                                        "nivel: use una de sus subcuentas"))


def _validar_centros(session: Session, a: Asiento) -> None:
    for i, m in enumerate(a.movimientos):
        m.centro_costo_id = m.centro_costo_id or a.centro_costo_id
        if m.centro_costo_id is None:
            a.errores.append(FieldError(f"{a.campo}.{i}.centro_costo_id", "Toda línea requiere un centro de costo"))
    ids = {m.centro_costo_id for m in a.movimientos if m.centro_costo_id is not None}
    activos = configuracion.vigente(session).centros_activos
    if not ids <= activos:  # created in this unit of work (a branch's first sale) or really inactive
        activos = set(session.execute(select(CentroCosto.id).where(CentroCosto.id.in_(ids),
                                                                   CentroCosto.activo.is_(True))).scalars())
    for i, m in enumerate(a.movimientos):
        if m.centro_costo_id is not None and m.centro_costo_id not in activos:
            a.errores.append(FieldError(f"{a.campo}.{i}.centro_costo_id", "Centro de costo inexistente o inactivo"))


def validar_periodo_abierto(session: Session, fecha: date, campo: str = "fecha") -> None:
    if periodo_de(fecha) in configuracion.vigente(session).periodos_cerrados:
        raise ValidationError(f"El periodo {fecha:%Y-%m} está cerrado: no admite operaciones", field=campo)


# The entry and its lines in one statement (one round trip instead of three): its id from the sequence, which
# the CUO repeats. The lines' BEFORE INSERT trigger (a volatile function, so a fresh snapshot) sees the entry.
_INSERTAR = text("""
    WITH asiento AS (
        INSERT INTO asientos_contables (id, fecha, periodo, cuo, descripcion, centro_costo_id, referencia_tipo,
                                        referencia_id, origen, moneda, tipo_cambio, usuario_id, estado, revierte_id)
        SELECT n.id, :fecha, :periodo, n.id::text, :descripcion, :centro, :referencia_tipo, :referencia_id, :origen,
               :moneda, :tipo_cambio, :usuario_id, 'CONTABILIZADO', :revierte_id
          FROM (SELECT nextval(pg_get_serial_sequence('asientos_contables', 'id'))::integer AS id) n
        RETURNING id
    ), lineas AS (
        INSERT INTO lineas_asiento (asiento_id, numero, fecha, cuenta_id, centro_costo_id, debe, haber, descripcion)
        SELECT asiento.id, l.numero, :fecha, l.cuenta_id, l.centro_costo_id, l.debe, l.haber, l.descripcion
          FROM asiento, unnest(CAST(:cuentas AS integer[]), CAST(:centros AS integer[]), CAST(:debes AS numeric[]),
                               CAST(:haberes AS numeric[]), CAST(:descripciones AS text[]))
                        WITH ORDINALITY AS l(cuenta_id, centro_costo_id, debe, haber, descripcion, numero)
    )
    SELECT id FROM asiento
""")


def registrar(session: Session, a: Asiento) -> int:
    """Validate and write one entry in the caller's transaction; returns its id. Does not commit."""
    _validar_lados(a)
    if not a.errores:
        _validar_cuadre(a)
    _validar_cuentas(session, a)
    _validar_centros(session, a)
    if a.errores:
        raise ValidationError(a.errores[0].message, errors=a.errores)
    validar_periodo_abierto(session, a.fecha)
    m = a.movimientos
    return session.execute(_INSERTAR, {
        "fecha": a.fecha, "periodo": periodo_de(a.fecha), "descripcion": a.descripcion[:300],
        "centro": a.centro_costo_id or m[0].centro_costo_id, "referencia_tipo": a.referencia_tipo,
        "referencia_id": a.referencia_id, "origen": a.origen, "moneda": a.moneda, "tipo_cambio": a.tipo_cambio,
        "usuario_id": a.usuario_id, "revierte_id": a.revierte_id, "cuentas": [x.cuenta_id for x in m],
        "centros": [x.centro_costo_id for x in m], "debes": [x.debe for x in m], "haberes": [x.haber for x in m],
        "descripciones": [x.descripcion[:200] for x in m]}).scalar_one()


def sin_ceros(movimientos: list[Movimiento]) -> list[Movimiento]:
    """Automatic entries build every possible line (IGV, ISC, ICBPER...); the ones that are zero go."""
    return [m for m in movimientos if m.debe or m.haber]


# --- the accountant's manual entries --------------------------------------------------------------------


Importe = Field(default=Decimal("0"), ge=0, max_digits=14, decimal_places=2)


class LineaAsientoIn(Entrada):
    cuenta: str = Field(min_length=2, max_length=10, pattern="^[0-9]+$", description="código PCGE")
    debe: Decimal = Importe
    haber: Decimal = Importe
    centro_costo_id: Id | None = None
    descripcion: str = Field(default="", max_length=200)


class AsientoIn(Entrada):
    fecha: Fecha
    descripcion: str = Field(min_length=1, max_length=300)
    centro_costo_id: Id | None = Field(default=None, description="por defecto de cada línea")
    lineas: list[LineaAsientoIn] = Field(min_length=2, max_length=500)


def crear_manual(session: Session, usuario_id: int, datos: AsientoIn) -> int:
    """POST /api/finanzas/asientos/: one transaction."""
    codigos = {linea.cuenta for linea in datos.lineas}
    ids = dict(session.execute(select(CuentaContable.codigo, CuentaContable.id)
                               .where(CuentaContable.codigo.in_(codigos))).all())
    faltan = [FieldError(f"lineas.{i}.cuenta", f"La cuenta {linea.cuenta} no existe en el plan contable")
              for i, linea in enumerate(datos.lineas) if linea.cuenta not in ids]
    if faltan:
        raise ValidationError(faltan[0].message, errors=faltan)
    asiento_id = registrar(session, Asiento(
        fecha=datos.fecha, descripcion=datos.descripcion, referencia_tipo="MANUAL", referencia_id="",
        centro_costo_id=datos.centro_costo_id, usuario_id=usuario_id, origen="MANUAL",
        movimientos=[Movimiento(ids[linea.cuenta], linea.debe, linea.haber, linea.descripcion, linea.centro_costo_id)
                     for linea in datos.lineas]))
    session.commit()
    return asiento_id


def revertir(session: Session, asiento_id: int, usuario_id: int | None, motivo: str) -> int:
    """A posted entry never changes: its correction is this reversal (same lines, sides swapped), dated today."""
    reversion = registrar_reversion(session, asiento_id, usuario_id, motivo)
    session.commit()
    return reversion


def registrar_reversion(session: Session, asiento_id: int, usuario_id: int | None, motivo: str) -> int:
    """The reversal in the caller's transaction (409 if the entry is already reversed or is a reversal)."""
    original = session.get(AsientoContable, asiento_id)
    if original is None:
        raise NotFound("Asiento no encontrado")
    ya = session.execute(select(AsientoContable.id).where(AsientoContable.revierte_id == asiento_id)).first()
    if ya is not None or original.revierte_id is not None:
        raise Conflict("El asiento ya fue revertido (o es una reversión)")
    lineas = session.execute(select(LineaAsiento).where(LineaAsiento.asiento_id == asiento_id)
                             .order_by(LineaAsiento.numero)).scalars()
    return registrar(session, Asiento(
        fecha=hoy(), descripcion=f"Reversión del asiento {original.cuo}: {motivo}", referencia_tipo="REVERSION",
        referencia_id=str(asiento_id), usuario_id=usuario_id, origen="MANUAL" if usuario_id else "AUTOMATICO",
        moneda=original.moneda, tipo_cambio=original.tipo_cambio, revierte_id=asiento_id,
        centro_costo_id=original.centro_costo_id,
        movimientos=[Movimiento(linea.cuenta_id, linea.haber, linea.debe, linea.descripcion, linea.centro_costo_id)
                     for linea in lineas]))


def sin_revertir(session: Session, referencia_tipo: str, referencia_id: str) -> list[int]:
    reversiones = select(AsientoContable.revierte_id).where(AsientoContable.revierte_id.is_not(None))
    return list(session.execute(select(AsientoContable.id).where(
        AsientoContable.referencia_tipo == referencia_tipo, AsientoContable.referencia_id == referencia_id,
        AsientoContable.id.not_in(reversiones)).order_by(AsientoContable.id)).scalars())


def obtener(session: Session, asiento_id: int) -> tuple[AsientoContable, list[tuple[LineaAsiento, str]]]:
    asiento = session.get(AsientoContable, asiento_id)
    if asiento is None:
        raise NotFound("Asiento no encontrado")
    lineas = session.execute(select(LineaAsiento, CuentaContable.codigo).join(
        CuentaContable, CuentaContable.id == LineaAsiento.cuenta_id).where(LineaAsiento.asiento_id == asiento_id)
        .order_by(LineaAsiento.numero)).all()
    return asiento, list(lineas)


def de_documento(session: Session, referencia_tipo: str, referencia_id: str) -> list[int]:
    return list(session.execute(select(AsientoContable.id).where(
        AsientoContable.referencia_tipo == referencia_tipo, AsientoContable.referencia_id == referencia_id)
        .order_by(AsientoContable.id)).scalars())


def cuenta_id(session: Session, clave: str) -> int:
    """The account configured for an automatic posting (cuentas_operacion)."""
    return plan.cuentas_operacion(session)[clave]
