"""Fixtures of module 6's tests."""

import os
from collections.abc import Iterator

import pytest

from integrations.sunat.tipo_cambio_sandbox import TipoCambioSandbox
from tests.conftest import set_env


@pytest.fixture
def tipo_cambio_sunat() -> Iterator[TipoCambioSandbox]:
    """The local stand-in for SUNAT's exchange-rate service; the app's SUNAT_TIPO_CAMBIO_URL points at it."""
    sandbox = TipoCambioSandbox(demora_lento=3.0).start()
    previa = os.environ.get("SUNAT_TIPO_CAMBIO_URL")
    set_env(SUNAT_TIPO_CAMBIO_URL=sandbox.url)
    try:
        yield sandbox
    finally:
        sandbox.stop()
        if previa is None:
            os.environ.pop("SUNAT_TIPO_CAMBIO_URL", None)
            set_env()
        else:
            set_env(SUNAT_TIPO_CAMBIO_URL=previa)
