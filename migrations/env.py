"""Alembic environment: the target metadata is every SQLModel table in `models`."""

from alembic import context
from sqlalchemy import TypeDecorator
from sqlmodel import SQLModel

import models  # noqa: F401 - registers every table on SQLModel.metadata
from core.db import make_engine
from core.settings import get_settings

target_metadata = SQLModel.metadata


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render encrypted columns as their storage type so migrations never import app code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations_online() -> None:
    url = context.config.attributes.get("url") or get_settings().database_url
    engine = make_engine(url, pool_size=1)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, compare_type=True, render_item=render_item
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
