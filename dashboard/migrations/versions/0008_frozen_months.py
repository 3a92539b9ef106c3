"""frozen_months: a month's figures frozen for the 通报, with who froze it and every unfreeze kept

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 14:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "frozen_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("snapshots", sa.LargeBinary(), nullable=False),
        sa.Column("upload_ids", sa.Text(), nullable=False),
        sa.Column("frozen_by", sa.String(length=100), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("unfrozen_by", sa.String(length=100), nullable=True),
        sa.Column("unfrozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unfreeze_reason", sa.Text(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_frozen_months"),
    )
    op.create_index("uq_frozen_months_one_active", "frozen_months", ["period"], unique=True,
                    sqlite_where=sa.text("active"), postgresql_where=sa.text("active"))


def downgrade() -> None:
    op.drop_index("uq_frozen_months_one_active", table_name="frozen_months")
    op.drop_table("frozen_months")
