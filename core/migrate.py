"""Run Alembic migrations programmatically (CLI, `erp up` and the test fixtures)."""

from alembic import command
from alembic.config import Config

from core.settings import ROOT


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str) -> None:
    # "heads": each module's migrations form a branch off the core revision.
    command.upgrade(alembic_config(url), "heads")
