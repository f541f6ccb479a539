"""Module 9: /api/usuarios/ (admin), 2FA set-up (self or admin)."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from api.deps import Allowed, CurrentUser, SessionDep
from core.schemas import Entrada, Id
from services import usuarios
from services.permisos import tiene_permiso

router = APIRouter(prefix="/api/usuarios", tags=["usuarios"])


class CodigoIn(Entrada):
    codigo: str = Field(pattern=r"^\d{6}$")


class DesactivarIn(Entrada):
    codigo: str | None = Field(default=None, pattern=r"^\d{6}$")


@router.get("/", response_model=list[usuarios.UsuarioOut])
def listar(session: SessionDep, _: Allowed("usuarios", "ver"), rol_id: Id | None = None,
           activo: bool | None = None, buscar: Annotated[str | None, Query(max_length=100)] = None,
           ) -> list[usuarios.UsuarioOut]:
    return usuarios.listar(session, rol_id, activo, buscar)


@router.post("/", response_model=usuarios.UsuarioOut, status_code=201)
def crear(datos: usuarios.UsuarioIn, session: SessionDep, _: Allowed("usuarios", "crear")) -> usuarios.UsuarioOut:
    return usuarios.crear(session, datos)


@router.put("/{usuario_id}/", response_model=usuarios.UsuarioOut)
def editar(usuario_id: Id, datos: usuarios.UsuarioUpdate, session: SessionDep,
           _: Allowed("usuarios", "editar")) -> usuarios.UsuarioOut:
    """Deactivating a user (activo=false) revokes all their live tokens in the same transaction."""
    return usuarios.editar(session, usuario_id, datos)


@router.post("/{usuario_id}/activar-2fa/")
def activar_2fa(usuario_id: Id, session: SessionDep, user: CurrentUser) -> dict[str, str]:
    """Returns the otpauth URI and its QR; confirm with a first code at /confirmar-2fa/."""
    es_admin = tiene_permiso(session, user.rol_id, "usuarios", "editar")
    return usuarios.activar_2fa(session, user, usuario_id, es_admin)


@router.post("/{usuario_id}/confirmar-2fa/", response_model=usuarios.UsuarioOut)
def confirmar_2fa(usuario_id: Id, body: CodigoIn, session: SessionDep, user: CurrentUser) -> usuarios.UsuarioOut:
    es_admin = tiene_permiso(session, user.rol_id, "usuarios", "editar")
    return usuarios.confirmar_2fa(session, user, usuario_id, body.codigo, es_admin)


@router.post("/{usuario_id}/desactivar-2fa/", response_model=usuarios.UsuarioOut)
def desactivar_2fa(usuario_id: Id, session: SessionDep, user: CurrentUser,
                   body: DesactivarIn | None = None) -> usuarios.UsuarioOut:
    """The user turns 2FA off with a current code; an administrator can do it without one. Every live
    token of the user is revoked."""
    es_admin = tiene_permiso(session, user.rol_id, "usuarios", "editar")
    return usuarios.desactivar_2fa(session, user, usuario_id, body.codigo if body else None, es_admin)
