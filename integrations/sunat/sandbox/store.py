"""Persistent memory of the sandbox (SQLite file under the data dir, survives restarts)."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ESQUEMA = """
CREATE TABLE IF NOT EXISTS comprobantes (
    ruc TEXT NOT NULL, tipo TEXT NOT NULL, serie TEXT NOT NULL, numero INTEGER NOT NULL,
    hash TEXT NOT NULL, estado TEXT NOT NULL, codigo TEXT NOT NULL, cdr BLOB,
    registrado TEXT NOT NULL,
    PRIMARY KEY (ruc, tipo, serie, numero)
);
CREATE TABLE IF NOT EXISTS tickets (
    ticket TEXT PRIMARY KEY, usuario TEXT NOT NULL, nombre TEXT NOT NULL,
    codigo TEXT NOT NULL, cdr BLOB, consultas INTEGER NOT NULL DEFAULT 0, registrado TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS secuencia (id INTEGER PRIMARY KEY AUTOINCREMENT, creado TEXT);
"""


@dataclass(frozen=True)
class Registrado:
    ruc: str
    tipo: str
    serie: str
    numero: int
    hash: str
    estado: str
    codigo: str
    cdr: bytes | None


@dataclass(frozen=True)
class Ticket:
    ticket: str
    usuario: str
    nombre: str
    codigo: str  # "0" or "99"
    cdr: bytes | None
    consultas: int


class Almacen:
    def __init__(self, data_dir: Path):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.ruta = data_dir / "sunat-sandbox.sqlite3"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.ruta, check_same_thread=False, isolation_level=None)
        self._db.executescript(ESQUEMA)

    def cerrar(self) -> None:
        with self._lock:
            self._db.close()

    def siguiente_id(self) -> int:
        """Monotonic id, used for CDR ids and tickets."""
        with self._lock:
            cursor = self._db.execute("INSERT INTO secuencia (creado) VALUES (?)", (_ahora(),))
            return int(cursor.lastrowid or 0)

    def buscar(self, ruc: str, tipo: str, serie: str, numero: int) -> Registrado | None:
        with self._lock:
            fila = self._db.execute(
                "SELECT ruc, tipo, serie, numero, hash, estado, codigo, cdr FROM comprobantes "
                "WHERE ruc=? AND tipo=? AND serie=? AND numero=?",
                (ruc, tipo, serie, numero),
            ).fetchone()
        return Registrado(*fila) if fila else None

    def registrar(self, r: Registrado) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO comprobantes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (r.ruc, r.tipo, r.serie, r.numero, r.hash, r.estado, r.codigo, r.cdr, _ahora()),
            )

    def listar(self) -> list[dict]:
        with self._lock:
            filas = self._db.execute(
                "SELECT ruc, tipo, serie, numero, estado, codigo, registrado FROM comprobantes ORDER BY registrado"
            ).fetchall()
        claves = ("ruc", "tipo", "serie", "numero", "estado", "codigo", "registrado")
        return [dict(zip(claves, fila, strict=True)) for fila in filas]

    def resumen_presentado(self, nombre: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM tickets WHERE nombre=?", (nombre,)).fetchone() is not None

    def crear_ticket(self, t: Ticket) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?, ?)",
                (t.ticket, t.usuario, t.nombre, t.codigo, t.cdr, t.consultas, _ahora()),
            )

    def consultar_ticket(self, ticket: str) -> Ticket | None:
        """Returns the ticket *before* counting this query, then counts it."""
        with self._lock:
            fila = self._db.execute(
                "SELECT ticket, usuario, nombre, codigo, cdr, consultas FROM tickets WHERE ticket=?", (ticket,)
            ).fetchone()
            if fila:
                self._db.execute("UPDATE tickets SET consultas = consultas + 1 WHERE ticket=?", (ticket,))
        return Ticket(*fila) if fila else None

    def vaciar(self) -> None:
        with self._lock:
            self._db.executescript("DELETE FROM comprobantes; DELETE FROM tickets;")


def _ahora() -> str:
    return datetime.now(UTC).isoformat()
