"""Module 9: /api/roles/ and their permissions (admin)."""

from fastapi import APIRouter

from api.deps import Allowed, SessionDep
from core.schemas import Id
from services import roles

router = APIRouter(prefix="/api/roles", tags=["usuarios"])


@router.get("/", response_model=list[roles.RolOut])
def listar(session: SessionDep, _: Allowed("roles", "ver")) -> list[roles.RolOut]:
    return roles.listar(session)


@router.post("/", response_model=roles.RolOut, status_code=201)
def crear(datos: roles.RolIn, session: SessionDep, _: Allowed("roles", "crear")) -> roles.RolOut:
    return roles.crear(session, datos)


@router.put("/{rol_id}/permisos/", response_model=roles.RolOut)
def permisos(rol_id: Id, datos: roles.PermisosIn, session: SessionDep, _: Allowed("roles", "editar")) -> roles.RolOut:
    """Replaces the role's permission set: rows of (modulo, accion, permitido), `*` as wildcard."""
    return roles.reemplazar_permisos(session, rol_id, datos)
