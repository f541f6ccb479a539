"""Dependencies every endpoint declares: the DB session, the acting user, the permission check."""

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python
from sqlmodel import Session
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from core import idempotency
from core.context import Actor
from core.db import get_engine
from core.errors import Conflict, Unauthorized, Unavailable
from core.temporal import connect
from services.auth import AuthUser, authenticate

bearer = HTTPBearer(auto_error=False)


def client_ip(request: Request) -> str:
    """The caller's address. Behind a configured proxy (TRUSTED_PROXIES) uvicorn has already replaced the
    peer with the X-Forwarded-For client; from anyone else the header is ignored (`cli.uvicorn_options`)."""
    return request.client.host if request.client else "unknown"


async def get_session() -> AsyncIterator[Session]:
    """The request's session. Async on purpose: opening it does no I/O and closing it needs no thread, so
    a request never waits for a worker thread just to hand its connection back (a burst larger than the
    thread pool used to stall there). Sync endpoints close it in their own thread (`release_sessions`)."""
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]


def release_sessions(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a sync endpoint so the sessions it received end their transaction in the endpoint's thread,
    as soon as its work is done: no connection is held while the response is serialised and sent.
    Applied to every sync route by `api.main`. Loaded attributes stay readable (the objects are detached)."""
    if inspect.iscoroutinefunction(endpoint) or getattr(endpoint, "_releases_sessions", False):
        return endpoint

    @functools.wraps(endpoint)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return endpoint(*args, **kwargs)
        finally:
            for value in kwargs.values():
                if isinstance(value, Session):
                    value.close()

    wrapper._releases_sessions = True  # type: ignore[attr-defined]
    return wrapper


def _authenticated(request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None,
                   permiso: tuple[str, str] | None) -> AuthUser:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Falta el token de acceso (Authorization: Bearer ...)")
    try:
        user = authenticate(session, credentials.credentials, permiso)
    except BaseException:
        session.rollback()  # a 401/403 must not keep its connection until the error response is sent
        raise
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


IDEMPOTENCY_HEADER = "Idempotency-Key"
IdempotencyKey = Annotated[str | None, Header(
    alias=IDEMPOTENCY_HEADER, min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$",
    description="Client-chosen unique key (e.g. a UUID). A retry with the same key returns the first "
                "answer (same status and body) instead of creating a second document; the same key with "
                "another body answers 422. Kept 24 h.")]


@functools.cache
def _adaptador(modelo: Any) -> TypeAdapter:
    return TypeAdapter(modelo)


def _como_respuesta(route: APIRoute, resultado: Any) -> Any:
    """`resultado` as FastAPI sends it: validated and serialised by the route's response model (as
    `fastapi.routing.serialize_response` does), so a keyed answer and its replays equal an unkeyed one."""
    if route.response_model is None:
        return to_jsonable_python(resultado)
    adaptador = _adaptador(route.response_model)
    return adaptador.dump_python(adaptador.validate_python(resultado, from_attributes=True), mode="json",
                                 by_alias=True)


def idempotent(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`@idempotent` under `@router.post(...)` of a creating endpoint (sync, with a SessionDep and an Allowed
    user): it accepts an `Idempotency-Key` header and answers retries from the stored first answer, which is
    the body the route's response model gives (with its status code), stored in the document's transaction."""
    signature = inspect.signature(endpoint)
    extra = [inspect.Parameter("idempotency_key", inspect.Parameter.KEYWORD_ONLY, default=None,
                               annotation=IdempotencyKey)]
    # The route (its response model) comes from the request; FastAPI fills only one Request parameter.
    own_request = next((p.name for p in signature.parameters.values() if p.annotation is Request), None)
    if own_request is None:
        extra.append(inspect.Parameter("idempotency_request", inspect.Parameter.KEYWORD_ONLY, annotation=Request))
    operation = f"{endpoint.__module__}.{endpoint.__qualname__}"

    @functools.wraps(endpoint)
    def wrapper(**kwargs: Any) -> Any:
        key = kwargs.pop("idempotency_key")
        request = kwargs[own_request] if own_request else kwargs.pop("idempotency_request")
        if key is None:
            return endpoint(**kwargs)
        route: APIRoute = request.scope["route"]
        session_name = next(k for k, v in kwargs.items() if isinstance(v, Session))
        user = next(v for v in kwargs.values() if isinstance(v, AuthUser))
        inputs = [v for k, v in sorted(kwargs.items()) if not isinstance(v, Session | AuthUser | Request)]
        answer = idempotency.run(
            kwargs[session_name], user.id, key, idempotency.fingerprint(operation, inputs), route.status_code or 200,
            lambda joined: _como_respuesta(route, endpoint(**kwargs | {session_name: joined})))
        headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
        return JSONResponse(status_code=answer.status, content=answer.body, headers=headers)

    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *extra])
    return wrapper


# --- a user's update to a running workflow ------------------------------------------------------------------


@asynccontextmanager
async def workflow_en_ejecucion(workflow_id: str, no_en_ejecucion: str,
                                field: str | None = None) -> AsyncIterator[WorkflowHandle]:
    """The running workflow's handle, with Temporal's answers turned into ours: its update validator's refusal
    and a workflow not running are 409 (``no_en_ejecucion``), Temporal down is 503."""
    try:
        yield (await connect()).get_workflow_handle(workflow_id)
    except WorkflowUpdateFailedError as exc:  # the validator refused the transition
        raise Conflict(str(exc.cause.message if exc.cause else exc), field=field) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Conflict(no_en_ejecucion, field=field) from exc
        raise Unavailable("El servicio de workflows (Temporal) no está disponible") from exc
    except RuntimeError as exc:
        raise Unavailable("El servicio de workflows (Temporal) no está disponible") from exc
