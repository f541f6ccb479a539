"""A local SUNAT that speaks the real SEE SOAP protocol (plus a tiny Nubefact), for dev and tests.

CLI: ``python -m integrations.sunat.sandbox --port 8700 --data-dir .erp/sunat-sandbox``.
From tests: ``with sandbox_en_hilo(tmp_path) as sb: ... sb.base_url ... sb.modo("caido")``.
See ``docs/sunat-transporte.md``.
"""

from integrations.sunat.sandbox.config import Modo, SandboxConfig
from integrations.sunat.sandbox.servidor import SandboxEnEjecucion, ServidorSandbox, sandbox_en_hilo

__all__ = ["Modo", "SandboxConfig", "SandboxEnEjecucion", "ServidorSandbox", "sandbox_en_hilo"]
