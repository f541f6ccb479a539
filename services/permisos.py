"""RBAC: does a role have (modulo, accion)? Wildcard rows ('*') grant whole modules or everything;
an explicit `permitido = False` row for the exact pair always wins."""

from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlmodel import Session

from core.errors import Forbidden
from models.usuarios import Permiso

if TYPE_CHECKING:
    from services.auth import AuthUser

ALL = "*"


def concede(rol_id: Any, modulo: str, accion: str) -> ColumnElement[bool]:
    """The rule as one SQL boolean, so authentication can check it in the same query as the user.
    `rol_id` is a value or a column (e.g. `Usuario.rol_id`)."""
    denegado = exists().where(Permiso.rol_id == rol_id, Permiso.modulo == modulo, Permiso.accion == accion,
                              Permiso.permitido.is_(False))
    concedido = exists().where(Permiso.rol_id == rol_id, or_(Permiso.modulo == modulo, Permiso.modulo == ALL),
                               or_(Permiso.accion == accion, Permiso.accion == ALL), Permiso.permitido.is_(True))
    return and_(~denegado, concedido)


def tiene_permiso(session: Session, rol_id: int, modulo: str, accion: str) -> bool:
    return bool(session.execute(select(concede(rol_id, modulo, accion))).scalar_one())


def sucursales_visibles(user: "AuthUser", sucursal_id: int | None = None) -> list[int] | None:
    """The branches a read may cover: None = all (ADMIN), else the token's `sucursales_permitidas`, or just
    `sucursal_id` when asked for one of them (403 for another branch). Reads are scoped like writes."""
    if sucursal_id is not None:
        if user.rol != "ADMIN" and sucursal_id not in user.sucursales_permitidas:
            raise Forbidden("No tiene acceso a esta sucursal", field="sucursal_id")
        return [sucursal_id]
    return None if user.rol == "ADMIN" else list(user.sucursales_permitidas)
