"""village_report_counts and ledger_township_counts: counts kept at commit so the dashboards read thousands of
rows, not millions (issue 10, national scale); filled here for every upload already in the store.
activations.ended_at / first: when the next activation of the same report replaced it, and whether it is the
report's first — the version in effect at a moment becomes a filter instead of a GROUP BY over every report

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
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("villages", sa.Integer(), nullable=False),
        sa.Column("micro_power_list", sa.Integer(), nullable=False),
        sa.Column("discipline_member", sa.Integer(), nullable=False),
        *(sa.Column(f"legal_{k}", sa.Integer(), nullable=False) for k in range(11)),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"], name="fk_village_report_counts_upload_id_uploads"),
        sa.PrimaryKeyConstraint("upload_id", name="pk_village_report_counts"),
    )
    op.create_table(
        "ledger_township_counts",
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("townships", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"], name="fk_ledger_township_counts_upload_id_uploads"),
        sa.PrimaryKeyConstraint("upload_id", name="pk_ledger_township_counts"),
    )
    from dashboard import rollups  # the one definition of the counts; fills every upload already stored

    rollups.fill_all(op.get_bind())
    with op.batch_alter_table("activations") as batch:
        batch.add_column(sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("first", sa.Boolean(), nullable=False, server_default=sa.false()))
    # the next activation of the same report (by id: the order they were made in) ends this one
    op.execute("""
        UPDATE activations SET
          ended_at = (SELECT b.activated_at FROM activations b
                      WHERE b.kind = activations.kind AND b.period = activations.period AND b.scope = activations.scope
                        AND b.id > activations.id ORDER BY b.id LIMIT 1),
          first = NOT EXISTS (SELECT 1 FROM activations b
                              WHERE b.kind = activations.kind AND b.period = activations.period
                                AND b.scope = activations.scope AND b.id < activations.id)
    """)


def downgrade() -> None:
    with op.batch_alter_table("activations") as batch:
        batch.drop_column("first")
        batch.drop_column("ended_at")
    op.drop_table("ledger_township_counts")
    op.drop_table("village_report_counts")
