"""RBAC: does a role have (modulo, accion)? Wildcard rows ('*') grant whole modules or everything;
an explicit `permitido = False` row for the exact pair always wins."""

from sqlalchemy import or_, select
from sqlmodel import Session

from models.usuarios import Permiso

ALL = "*"


def tiene_permiso(session: Session, rol_id: int, modulo: str, accion: str) -> bool:
    rows = session.execute(
        select(Permiso.modulo, Permiso.accion, Permiso.permitido).where(
            Permiso.rol_id == rol_id,
            or_(Permiso.modulo == modulo, Permiso.modulo == ALL),
            or_(Permiso.accion == accion, Permiso.accion == ALL),
        )
    ).all()
    if any(r.modulo == modulo and r.accion == accion and not r.permitido for r in rows):
        return False
    return any(r.permitido for r in rows)
