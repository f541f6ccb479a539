"""Schemathesis fuzzes every operation of /openapi.json against the real app (ASGI, real PostgreSQL), with a
valid admin token and without one: no 5xx, every answer conforms to its declared schema, content type and
status codes.

Bounded and derandomized for `make test` (the same examples every run: it cannot turn flaky); `make fuzz`
runs many more examples with a fresh seed (FUZZ_EXAMPLES, FUZZ_SEED)."""

import os
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis.checks import content_type_conformance, response_schema_conformance, status_code_conformance
from sqlalchemy import Engine, text

from api.main import create_app
from core.db import session_scope
from core.embedded import free_port
from core.security import hash_password
from tests.conftest import login, set_env

APP = create_app()
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schemathesis.check
def sin_error_interno(ctx, response, case) -> None:  # noqa: ANN001 - schemathesis' check signature
    """No 5xx but the documented 503 (Temporal unreachable — no server runs here, on purpose —, database busy);
    status_code_conformance checks that the operation documents it."""
    if response.status_code >= 500 and response.status_code != 503:
        raise AssertionError(f"{response.status_code} from {case.method} {case.formatted_path}: {response.text[:300]}")


CHECKS = [sin_error_interno, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))  # per operation, with a token (a third without)
SEED = os.environ.get("FUZZ_SEED")  # unset: derandomized (CI); "random" or a number: exploratory runs
SEMILLA = seed(int(SEED)) if SEED and SEED.isdigit() else (lambda test: test)
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=SEED is None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck),
    print_blob=True,
)


@pytest.fixture(scope="module", autouse=True)
def temporal_inalcanzable() -> Iterator[None]:
    """Temporal on a port nothing listens on: calls that need it answer 503 at once instead of waiting on
    a workflow no worker runs."""
    previous = os.environ.get("TEMPORAL_ADDRESS", "")
    set_env(TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}")
    yield
    set_env(TEMPORAL_ADDRESS=previous)


@pytest.fixture(scope="module")
def empresa(owner_engine: Engine) -> int:
    """One clean, seeded database for the whole run (truncating per operation costs seconds each)."""
    from sqlmodel import select

    from models.usuarios import Usuario
    from services.seed import seed_demo_company, seed_roles
    from tests.conftest import _truncate_all

    _truncate_all(owner_engine)
    with session_scope() as session:
        seed_roles(session)
        seed_demo_company(session, "admin@test.pe", "admin-password-123")
        session.flush()
        return session.exec(select(Usuario.id).where(Usuario.email == "admin@test.pe")).one()


_RESTAURAR_ADMIN = [text(sql) for sql in (
    "UPDATE usuarios SET activo = true, twofa_activo = false, twofa_secret = NULL, password_hash = :hash, "
    "rol_id = (SELECT id FROM roles WHERE nombre = 'ADMIN') WHERE id = :id",
    "DELETE FROM permisos WHERE rol_id = (SELECT id FROM roles WHERE nombre = 'ADMIN')",
    "INSERT INTO permisos (rol_id, modulo, accion, permitido) SELECT id, '*', '*', true FROM roles "
    "WHERE nombre = 'ADMIN'",
)]
_HASH = hash_password("admin-password-123")


@pytest.fixture
def admin(empresa: int) -> dict[str, str]:
    """A fresh admin token per operation (hypothesis runs all of an operation's examples in one test), the
    admin restored first: an earlier operation's examples may have logged it out, deactivated it, changed
    its password or replaced the ADMIN role's permissions, which must not blind the next operation."""
    with session_scope() as session:
        for sql in _RESTAURAR_ADMIN:
            session.execute(sql, {"id": empresa, "hash": _HASH})
    return login(TestClient(APP), "admin@test.pe", "admin-password-123")


@SCHEMA.parametrize()
@SEMILLA
@FUZZ
def test_fuzz_with_admin_token(case, admin: dict[str, str]) -> None:  # noqa: ANN001 - a schemathesis Case
    case.call_and_validate(headers=admin, checks=CHECKS)


@SCHEMA.parametrize()
@SEMILLA
@settings(FUZZ, max_examples=max(EXAMPLES // 3, 2))
def test_fuzz_without_token(case, pg_url) -> None:  # noqa: ANN001
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.call_and_validate(checks=CHECKS)
