"""Database engine and sessions. One engine per process, sessions per unit of work."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Engine, Row, Select, func, insert, select, text
from sqlmodel import Session, create_engine

from core.errors import NotFound
from core.settings import get_settings

T = TypeVar("T")


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver whatever scheme the operator wrote."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, pool_size: int = 20) -> Engine:
    # Sessions run in UTC so timestamptz values round-trip as UTC; business dates are computed in Lima.
    return create_engine(
        normalize_url(url),
        pool_size=pool_size,
        max_overflow=20,
        # A connection is only held while a request's work runs (api.deps), so a long wait here means
        # overload: give up and answer 503 + Retry-After rather than queue for minutes.
        pool_timeout=get_settings().db_pool_timeout_s,
        pool_pre_ping=True,
        connect_args={"options": "-c timezone=UTC"},
    )


@lru_cache
def get_engine() -> Engine:
    url = get_settings().database_url
    if not url:
        raise RuntimeError("DATABASE_URL is not set (run through `erp up`, or set it in .env)")
    return make_engine(url)


def reset_engine() -> None:
    """Forget the cached engine (tests and the CLI switch DATABASE_URL at run time)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


def get_or_404(session: Session, model: type[T], key: object, message: str, for_update: bool = False) -> T:
    """The row with primary key `key`, or a 404 (the same answer whether it never existed or was deleted).
    `for_update`: read it fresh under a row lock (SELECT ... FOR UPDATE) for a state change."""
    row = (session.get(model, key, with_for_update=True, populate_existing=True) if for_update
           else session.get(model, key))
    if row is None:
        raise NotFound(message)
    return row


def per_session(session: Session, key: str, load: Callable[[], T]) -> T:
    """A read that stays valid for the session's unit of work (the company's configuration, its main
    branch): loaded once and kept referenced, so the identity map does not drop it and query it again."""
    if key not in session.info:
        session.info[key] = load()
    return session.info[key]


def contiene(columna: Any, texto: str) -> Any:
    """`columna ILIKE '%texto%'` with the user's `%`, `_` and `\\` matched literally (not as wildcards)."""
    literal = texto.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return columna.ilike(f"%{literal}%", escape="\\")


def insert_rows(session: Session, model: type, rows: list[dict], returning: bool = False) -> list[Row]:
    """Append rows in one INSERT without the ORM unit of work (the hot path of every sale). Only for tables
    the audit does not track: audited models go through the ORM so the audit hook sees them. With
    `returning`, the stored rows (with ids and database defaults) come back in the order given."""
    if getattr(model, "__audit_module__", None):
        raise TypeError(f"{model.__name__} is audited: add it to the session instead")
    if not rows:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    if not returning:
        session.connection().execute(insert(table), rows)
        return []
    stmt = insert(table).returning(*table.c, sort_by_parameter_order=True)
    return list(session.connection().execute(stmt, rows))


def paginar(session: Session, stmt: Select, limit: int, offset: int) -> tuple[list, int]:
    """One page of an ORM query and how many rows match it in all (the list endpoints' ``total``)."""
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    filas = session.execute(stmt.limit(limit).offset(offset))
    return list(filas.scalars() if len(stmt.column_descriptions) == 1 else filas.mappings()), total


def paginar_sql(session: Session, sql: str, params: dict, limit: int, offset: int) -> tuple[list[dict], int]:
    """The same for a hand-written query (its ORDER BY kept): rows as dicts."""
    total = session.execute(text(f"SELECT count(*) FROM ({sql}) AS q"), params).scalar_one()
    filas = session.execute(text(f"{sql} LIMIT :_limit OFFSET :_offset"), params | {"_limit": limit, "_offset": offset})
    return [dict(r._mapping) for r in filas], total


def transmitir_sql(session: Session, sql: str, params: dict, lote: int = 2_000) -> Iterator[dict]:
    """A hand-written query's rows as dicts, read from a server-side cursor `lote` rows at a time: memory stays
    flat however many rows match (exports of 100k rows). The rows come inside the session's transaction."""
    for fila in session.execute(text(sql).execution_options(yield_per=lote), params).mappings():
        yield dict(fila)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
