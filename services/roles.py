"""Module 9 roles and their permission sets."""

from pydantic import ConfigDict, Field
from sqlalchemy import select
from sqlmodel import Session

from core.db import get_or_404, paginar
from core.errors import Conflict
from core.schemas import Entrada, Paginacion, Salida
from models.usuarios import Permiso, Rol

NAME = r"^[A-Z][A-Z0-9_]{1,49}$"
TOKEN = r"^(\*|[a-z][a-z0-9_]{0,49})$"


class RolIn(Entrada):
    nombre: str = Field(pattern=NAME, description="UPPER_SNAKE_CASE, e.g. JEFE_TIENDA")
    descripcion: str = Field(default="", max_length=255)


class PermisoIn(Entrada):
    modulo: str = Field(pattern=TOKEN, description="module name or * for all")
    accion: str = Field(pattern=TOKEN, description="action name or * for all")
    permitido: bool = True


class PermisosIn(Entrada):
    permisos: list[PermisoIn]


class RolOut(Salida):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 3, "nombre": "CAJERO", "descripcion": "Caja y ventas POS",
        "permisos": [{"modulo": "ventas", "accion": "crear", "permitido": True}]}]})

    id: int
    nombre: str
    descripcion: str
    permisos: list[PermisoIn]


def _out(session: Session, rol: Rol) -> RolOut:
    permisos = session.execute(select(Permiso).where(Permiso.rol_id == rol.id).order_by(Permiso.modulo,
                                                                                       Permiso.accion)).scalars()
    return RolOut(id=rol.id, nombre=rol.nombre, descripcion=rol.descripcion,
                  permisos=[PermisoIn(modulo=p.modulo, accion=p.accion, permitido=p.permitido) for p in permisos])


def listar(session: Session, pagina: Paginacion) -> tuple[list[RolOut], int]:
    roles, total = paginar(session, select(Rol).order_by(Rol.id), pagina.limit, pagina.offset)
    return [_out(session, r) for r in roles], total


def crear(session: Session, datos: RolIn) -> RolOut:
    if session.execute(select(Rol.id).where(Rol.nombre == datos.nombre)).first():
        raise Conflict("Ya existe un rol con ese nombre", field="nombre")
    rol = Rol(nombre=datos.nombre, descripcion=datos.descripcion)
    session.add(rol)
    session.commit()
    return _out(session, rol)


def reemplazar_permisos(session: Session, rol_id: int, datos: PermisosIn) -> RolOut:
    """The role's whole permission set is replaced in one transaction (each row audited)."""
    rol = get_or_404(session, Rol, rol_id, "Rol no encontrado")
    pares = [(p.modulo, p.accion) for p in datos.permisos]
    if len(pares) != len(set(pares)):
        raise Conflict("Hay permisos repetidos (modulo, accion)", field="permisos")
    for permiso in session.execute(select(Permiso).where(Permiso.rol_id == rol_id)).scalars():
        session.delete(permiso)  # ORM deletes, so each removal is in audit_logs
    session.flush()
    for p in datos.permisos:
        session.add(Permiso(rol_id=rol_id, modulo=p.modulo, accion=p.accion, permitido=p.permitido))
    session.commit()
    return _out(session, rol)


