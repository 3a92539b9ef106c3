"""report_rows: rows of report kinds that have no table of their own, as JSON

A report kind is added by its definition in loaders/schema.py and its loader module; its rows are kept here,
one JSON object per validated row, versioned by their upload like every other fact.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 13:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "report_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"], name="fk_report_rows_upload_id_uploads"),
        sa.PrimaryKeyConstraint("id", name="pk_report_rows"),
    )
    op.create_index("ix_report_rows_upload_id", "report_rows", ["upload_id"])


def downgrade() -> None:
    op.drop_index("ix_report_rows_upload_id", table_name="report_rows")
    op.drop_table("report_rows")
