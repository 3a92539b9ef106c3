"""village_report_counts and ledger_township_counts: counts kept at commit so the dashboards read thousands of
rows, not millions (issue 10, national scale); filled here for every upload already in the store

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 19:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "village_report_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("legal_persons", sa.Integer(), nullable=True),
        sa.Column("villages", sa.Integer(), nullable=False),
        sa.Column("micro_power_list", sa.Integer(), nullable=False),
        sa.Column("discipline_member", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"], name="fk_village_report_counts_upload_id_uploads"),
        sa.PrimaryKeyConstraint("id", name="pk_village_report_counts"),
    )
    op.create_index("ix_village_report_counts_upload_id", "village_report_counts", ["upload_id"])
    op.create_table(
        "ledger_township_counts",
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("townships", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"], name="fk_ledger_township_counts_upload_id_uploads"),
        sa.PrimaryKeyConstraint("upload_id", name="pk_ledger_township_counts"),
    )
    from dashboard import rollups  # the one definition of the counts; fills every upload already stored

    rollups.fill_all(op.get_bind())


def downgrade() -> None:
    op.drop_table("ledger_township_counts")
    op.drop_index("ix_village_report_counts_upload_id", table_name="village_report_counts")
    op.drop_table("village_report_counts")
