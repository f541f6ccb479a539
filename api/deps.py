"""Dependencies every endpoint declares: the DB session, the acting user, the permission check."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from core.context import Actor
from core.db import get_engine
from core.errors import Unauthorized
from services.auth import AuthUser, authenticate

bearer = HTTPBearer(auto_error=False)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def get_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


SessionDep = Annotated[Session, Depends(get_session)]


def _authenticated(request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None,
                   permiso: tuple[str, str] | None) -> AuthUser:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Falta el token de acceso (Authorization: Bearer ...)")
    user = authenticate(session, credentials.credentials, permiso)
    # End the read-only transaction: its connection goes back to the pool while the request waits for a
    # thread to run the endpoint. Holding it across that wait deadlocks a burst larger than the pool.
    session.commit()
    # The audit hook reads the actor from the session: every row this request writes is attributed.
    session.info["actor"] = Actor(user.id, client_ip(request), request.headers.get("user-agent"))
    return user


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def current_user(request: Request, session: SessionDep, credentials: Credentials) -> AuthUser:
    return _authenticated(request, session, credentials, None)


CurrentUser = Annotated[AuthUser, Depends(current_user)]


class Permission:
    """`Depends(Permission("ventas", "crear"))`: 401 without a valid token, 403 without the permission
    (checked in the same query that loads the user)."""

    def __init__(self, modulo: str, accion: str):
        self.permiso = (modulo, accion)

    def __call__(self, request: Request, session: SessionDep, credentials: Credentials) -> AuthUser:
        return _authenticated(request, session, credentials, self.permiso)


def Allowed(modulo: str, accion: str) -> type[AuthUser]:  # noqa: N802 - reads like a type in signatures
    """`user: Allowed("ventas", "crear")` in an endpoint signature."""
    return Annotated[AuthUser, Depends(Permission(modulo, accion))]  # type: ignore[return-value]
