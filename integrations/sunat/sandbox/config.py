"""Sandbox configuration and the mutable fault-injection state."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

# Checksum-valid RUCs the sandbox "padrón" knows as active contributors. Anything else that is
# a well-formed RUC is rejected as non-existent, like SUNAT does.
PADRON_POR_DEFECTO = frozenset(
    {
        "20000000001",  # SUNAT beta's demo RUC
        "20131312955",  # SUNAT
        "20100047218",
        "20100070970",
        "20601030013",
    }
)
# SUNAT beta convention: any RUC + MODDATOS / moddatos.
USUARIO_BETA, CLAVE_BETA = "MODDATOS", "moddatos"


class Modo(StrEnum):
    NORMAL = "normal"
    CAIDO = "caido"  # the SOAP port stops listening: connection refused
    ERROR_5XX = "error_5xx"  # HTTP 5xx with a non-SOAP body, like a failing load balancer
    LENTO = "lento"  # answers after ``segundos``
    RECHAZAR = "rechazar"  # the next ``cantidad`` documents get ``codigo``
    # The next ``cantidad`` GRE sends are registered (ticket, CDR) but their answer never reaches the client: a
    # gateway timeout, as when SUNAT's load balancer gives up on a send SUNAT goes on to register.
    PERDER_RESPUESTA = "perder_respuesta"


@dataclass
class SandboxConfig:
    data_dir: Path
    usuarios: dict[str, str] = field(default_factory=dict)  # "RUC+USUARIO" -> clave
    aceptar_moddatos: bool = True  # any RUC + MODDATOS/moddatos, like SUNAT beta
    padron: set[str] = field(default_factory=lambda: set(PADRON_POR_DEFECTO))
    consultas_en_proceso: int = 1  # getStatus answers 98 this many times before 0/99
    reenvio_identico_devuelve_cdr: bool = False  # SUNAT answers 1033 even to identical resends
    validar_xsd: bool = True
    verificar_firma: bool = True
    validar_reglas: bool = True
    # GRE REST API clients registered in SOL: client_id -> client_secret
    gre_clientes: dict[str, str] = field(default_factory=lambda: {"sandbox-gre": "sandbox-gre-secret"})

    @classmethod
    def desde_json(cls, ruta: Path, data_dir: Path) -> SandboxConfig:
        datos = json.loads(ruta.read_text(encoding="utf-8"))
        config = cls(data_dir=data_dir)
        for clave, valor in datos.items():
            if clave == "padron":
                config.padron = set(valor)
            elif hasattr(config, clave) and clave != "data_dir":
                setattr(config, clave, valor)
        return config

    def clave_de(self, usuario: str) -> str | None:
        if usuario in self.usuarios:
            return self.usuarios[usuario]
        if self.aceptar_moddatos and len(usuario) > 11 and usuario[:11].isdigit() and usuario[11:] == USUARIO_BETA:
            return CLAVE_BETA
        return None


@dataclass
class EstadoFallas:
    """Fault injection, changed through the control API. Thread-safe."""

    modo: Modo = Modo.NORMAL
    segundos: float = 0.0
    status: int = 503
    codigo: str = ""
    mensaje: str = ""
    restantes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def cambiar(self, modo: Modo, *, segundos: float = 5.0, status: int = 503, codigo: str = "",
                mensaje: str = "", cantidad: int = 1) -> None:
        with self._lock:
            self.modo, self.segundos, self.status = modo, segundos, status
            self.codigo, self.mensaje, self.restantes = codigo, mensaje, cantidad

    def tomar_rechazo(self) -> tuple[str, str] | None:
        """Consume one forced code if ``rechazar`` is active; back to normal when exhausted."""
        with self._lock:
            if self.modo is not Modo.RECHAZAR or self.restantes <= 0:
                return None
            self.restantes -= 1
            forzado = (self.codigo, self.mensaje)
            if self.restantes == 0:
                self.modo = Modo.NORMAL
            return forzado

    def tomar_perdida(self) -> bool:
        """Consume one lost answer if ``perder_respuesta`` is active; back to normal when exhausted."""
        with self._lock:
            if self.modo is not Modo.PERDER_RESPUESTA or self.restantes <= 0:
                return False
            self.restantes -= 1
            if self.restantes == 0:
                self.modo = Modo.NORMAL
            return True

    def como_dict(self) -> dict:
        return {
            "modo": self.modo.value,
            "segundos": self.segundos,
            "status": self.status,
            "codigo": self.codigo,
            "cantidad": self.restantes,
        }
