"""Module 6 finance and tax: /api/finanzas/ (chart of accounts, cost centres, posting configuration, journal
entries, receivables/payables, collections/payments, exchange rates, books, PLE, tax-period close)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Allowed, SessionDep
from core.schemas import Entrada, Pagina, Paginacion
from services.finanzas import asientos, plan

router = APIRouter(prefix="/api/finanzas", tags=["finanzas"])
PaginaDep = Annotated[Paginacion, Depends()]


class Salida(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- chart of accounts ---------------------------------------------------------------------------------------


class CuentaOut(Salida):
    id: int
    codigo: str
    nombre: str
    tipo: str
    naturaleza: str
    padre_id: int | None
    acepta_movimiento: bool
    activo: bool


class SubcuentaIn(Entrada):
    codigo: str = Field(min_length=3, max_length=10, pattern="^[0-9]+$")
    nombre: str = Field(min_length=1, max_length=200)


class EstadoCuentaIn(Entrada):
    activo: bool


@router.get("/cuentas-contables/", response_model=Pagina[CuentaOut])
def listar_cuentas(session: SessionDep, _: Allowed("finanzas", "ver"), pagina: PaginaDep,
                   solo_activas: bool = False) -> Pagina[CuentaOut]:
    filas, total = plan.listar_cuentas(session, solo_activas, pagina.limit, pagina.offset)
    return pagina.pagina([CuentaOut.model_validate(c) for c in filas], total)


@router.post("/cuentas-contables/", status_code=201, response_model=CuentaOut)
def crear_subcuenta(datos: SubcuentaIn, session: SessionDep, _: Allowed("finanzas", "configurar")) -> CuentaOut:
    """A divisionaria (sub-account) of an existing PCGE account; its parent stops taking postings."""
    return CuentaOut.model_validate(plan.crear_subcuenta(session, datos.codigo, datos.nombre))


@router.patch("/cuentas-contables/{codigo}/", response_model=CuentaOut)
def cambiar_estado_cuenta(codigo: str, datos: EstadoCuentaIn, session: SessionDep,
                          _: Allowed("finanzas", "configurar")) -> CuentaOut:
    return CuentaOut.model_validate(plan.cambiar_estado_cuenta(session, codigo, datos.activo))


# --- cost centres ----------------------------------------------------------------------------------------------


class CentroOut(Salida):
    id: int
    codigo: str
    nombre: str
    sucursal_id: int | None
    predeterminado: bool
    activo: bool


class CentroIn(Entrada):
    codigo: str = Field(min_length=1, max_length=20)
    nombre: str = Field(min_length=1, max_length=100)


@router.get("/centros-costo/", response_model=list[CentroOut])
def listar_centros(session: SessionDep, _: Allowed("finanzas", "ver")) -> list[CentroOut]:
    return [CentroOut.model_validate(c) for c in plan.listar_centros(session)]


@router.post("/centros-costo/", status_code=201, response_model=CentroOut)
def crear_centro(datos: CentroIn, session: SessionDep, _: Allowed("finanzas", "configurar")) -> CentroOut:
    return CentroOut.model_validate(plan.crear_centro(session, datos.codigo, datos.nombre))


# --- accounts of each automatic posting --------------------------------------------------------------------------


class OperacionOut(BaseModel):
    clave: str
    descripcion: str
    cuenta: str
    cuenta_nombre: str


class OperacionIn(Entrada):
    cuenta: str = Field(min_length=2, max_length=10, pattern="^[0-9]+$", description="código PCGE (hoja)")


def _operacion(fila: tuple) -> OperacionOut:
    operacion, cuenta = fila
    return OperacionOut(clave=operacion.clave, descripcion=operacion.descripcion, cuenta=cuenta.codigo,
                        cuenta_nombre=cuenta.nombre)


@router.get("/configuracion-cuentas/", response_model=list[OperacionOut])
def listar_operaciones(session: SessionDep, _: Allowed("finanzas", "ver")) -> list[OperacionOut]:
    return [_operacion(f) for f in plan.listar_operaciones(session)]


@router.put("/configuracion-cuentas/{clave}/", response_model=OperacionOut)
def configurar_operacion(clave: str, datos: OperacionIn, session: SessionDep,
                         _: Allowed("finanzas", "configurar")) -> OperacionOut:
    plan.configurar_operacion(session, clave, datos.cuenta)
    return next(_operacion(f) for f in plan.listar_operaciones(session) if f[0].clave == clave)


# --- journal entries ----------------------------------------------------------------------------------------------


class LineaOut(BaseModel):
    numero: int
    cuenta: str
    centro_costo_id: int
    debe: Decimal
    haber: Decimal
    descripcion: str


class AsientoOut(BaseModel):
    id: int
    fecha: date
    periodo: str
    cuo: str
    descripcion: str
    referencia_tipo: str
    referencia_id: str
    origen: str
    moneda: str
    tipo_cambio: Decimal
    revierte_id: int | None
    created_at: datetime
    lineas: list[LineaOut]


class ReversionIn(Entrada):
    motivo: str = Field(min_length=1, max_length=200)


def _asiento(session: SessionDep, asiento_id: int) -> AsientoOut:
    asiento, lineas = asientos.obtener(session, asiento_id)
    return AsientoOut(**asiento.model_dump(include=set(AsientoOut.model_fields) - {"lineas"}), lineas=[
        LineaOut(numero=linea.numero, cuenta=codigo, centro_costo_id=linea.centro_costo_id, debe=linea.debe,
                 haber=linea.haber, descripcion=linea.descripcion) for linea, codigo in lineas])


@router.post("/asientos/", status_code=201, response_model=AsientoOut)
def crear_asiento(datos: asientos.AsientoIn, session: SessionDep,
                  user: Allowed("finanzas", "contabilizar")) -> AsientoOut:
    """A manual entry: balanced, every line with a cost centre and a leaf, active account (else 400)."""
    return _asiento(session, asientos.crear_manual(session, user.id, datos))


@router.get("/asientos/{asiento_id}/", response_model=AsientoOut)
def obtener_asiento(asiento_id: int, session: SessionDep, _: Allowed("finanzas", "ver")) -> AsientoOut:
    return _asiento(session, asiento_id)


@router.post("/asientos/{asiento_id}/revertir/", status_code=201, response_model=AsientoOut)
def revertir_asiento(asiento_id: int, datos: ReversionIn, session: SessionDep,
                     user: Allowed("finanzas", "contabilizar")) -> AsientoOut:
    """Posted entries are immutable: the correction is a reversal entry dated today."""
    return _asiento(session, asientos.revertir(session, asiento_id, user.id, datos.motivo))


@router.get("/asientos/", response_model=list[AsientoOut])
def asientos_de_documento(referencia_tipo: str, referencia_id: str, session: SessionDep,
                          _: Allowed("finanzas", "ver")) -> list[AsientoOut]:
    """The entries a source document caused (e.g. ?referencia_tipo=COMPROBANTE&referencia_id=12)."""
    return [_asiento(session, i) for i in asientos.de_documento(session, referencia_tipo, referencia_id)]
