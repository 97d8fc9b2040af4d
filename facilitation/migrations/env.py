"""Alembic environment: runs against the engine handed over by facilitation.db.migrate."""

from alembic import context

from facilitation.search.models import engine_owned
from facilitation.storage.schema import metadata

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # the `alembic` command line: use the URL the app would use
    from facilitation.storage.db import get_engine

    engine = get_engine(migrate_schema=False)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs copy-and-move ALTERs
        compare_type=True,
        include_name=lambda name, type_, _parents: not engine_owned(name),
    )
    with context.begin_transaction():
        context.run_migrations()
