"""``python -m integrations.sunat.sandbox --port 8700 --data-dir .erp/sunat-sandbox``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from integrations.sunat.sandbox.config import SandboxConfig
from integrations.sunat.sandbox.servidor import ServidorSandbox


def _argumentos(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m integrations.sunat.sandbox", description="SUNAT SEE sandbox")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8700)
    p.add_argument("--control-port", type=int, default=None, help="default: port + 1")
    p.add_argument("--data-dir", type=Path, default=Path(".erp/sunat-sandbox"))
    p.add_argument("--config", type=Path, help="JSON with SandboxConfig fields (usuarios, padron, ...)")
    p.add_argument("--usuario", action="append", default=[], metavar="RUCUSUARIO:CLAVE")
    p.add_argument("--padron-ruc", action="append", default=[], metavar="RUC")
    p.add_argument("--sin-xsd", action="store_true")
    p.add_argument("--sin-firma", action="store_true")
    p.add_argument("--sin-reglas", action="store_true")
    return p.parse_args(argv)


def construir_config(args: argparse.Namespace) -> SandboxConfig:
    config = SandboxConfig.desde_json(args.config, args.data_dir) if args.config else SandboxConfig(args.data_dir)
    for par in args.usuario:
        usuario, _, clave = par.partition(":")
        config.usuarios[usuario] = clave
    config.padron.update(args.padron_ruc)
    config.validar_xsd = config.validar_xsd and not args.sin_xsd
    config.verificar_firma = config.verificar_firma and not args.sin_firma
    config.validar_reglas = config.validar_reglas and not args.sin_reglas
    return config


async def _correr(servidor: ServidorSandbox) -> None:
    bucle = asyncio.get_running_loop()
    for senal in (signal.SIGINT, signal.SIGTERM):
        bucle.add_signal_handler(senal, servidor.parar)
    await servidor.servir()


def main(argv: list[str] | None = None) -> None:
    args = _argumentos(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    servidor = ServidorSandbox(construir_config(args), args.host, args.port, args.control_port)
    logging.getLogger(__name__).info(
        "sandbox SUNAT en http://%s:%s (control en :%s, datos en %s)",
        args.host, servidor.port, servidor.control_port, args.data_dir,
    )
    asyncio.run(_correr(servidor))


if __name__ == "__main__":
    main()
