"""timestamps in UTC: uploads.uploaded_at, uploads.superseded_at, plans.loaded_at

Until now these were the server's naive local clock (UTC on most servers, 8 hours off Beijing time).
They become moments: ``timestamptz`` on PostgreSQL, naive UTC text on SQLite (see models.UTCDateTime).
Existing values are taken to be in the zone of the machine running this migration — the zone the
server that wrote them ran in.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 09:30:00

"""
from datetime import datetime, timedelta
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = (("uploads", "uploaded_at"), ("uploads", "superseded_at"), ("plans", "loaded_at"))


def _shift_sqlite(bind, table: str, column: str, by: timedelta) -> None:
    rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
    for row_id, value in rows:
        moment = datetime.fromisoformat(str(value)) + by
        bind.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :i"),
                     {"v": moment.strftime("%Y-%m-%d %H:%M:%S.%f"), "i": row_id})


def upgrade() -> None:
    bind = op.get_bind()
    offset = datetime.now().astimezone().utcoffset() or timedelta(0)  # local = UTC + offset
    for table, column in COLUMNS:
        if bind.dialect.name == "postgresql":
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE TIMESTAMP WITH TIME ZONE "
                       f"USING ({column} - INTERVAL '{int(offset.total_seconds())} seconds') AT TIME ZONE 'UTC'")
        elif offset:
            _shift_sqlite(bind, table, column, -offset)


def downgrade() -> None:
    bind = op.get_bind()
    offset = datetime.now().astimezone().utcoffset() or timedelta(0)
    for table, column in COLUMNS:
        if bind.dialect.name == "postgresql":
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE TIMESTAMP WITHOUT TIME ZONE "
                       f"USING ({column} AT TIME ZONE 'UTC') + INTERVAL '{int(offset.total_seconds())} seconds'")
        elif offset:
            _shift_sqlite(bind, table, column, offset)
