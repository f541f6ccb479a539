"""Run Alembic migrations programmatically (CLI, `erp up` and the test fixtures)."""

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from core.settings import ROOT


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str) -> None:
    """Every module's branch off the core revision, one head at a time: Alembic's "heads" target trips over
    a branch that depends_on sibling branches (KeyError in its head bookkeeping)."""
    cfg = alembic_config(url)
    for head in sorted(ScriptDirectory.from_config(cfg).get_heads()):
        command.upgrade(cfg, head)
