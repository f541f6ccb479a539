"""Who is acting, from where: set per request (or per activity) and read by the audit hook."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    usuario_id: int | None = None
    ip: str | None = None
    user_agent: str | None = None


SYSTEM = Actor()
_actor: ContextVar[Actor] = ContextVar("actor", default=SYSTEM)


def current_actor() -> Actor:
    return _actor.get()


def set_actor(actor: Actor) -> None:
    _actor.set(actor)
