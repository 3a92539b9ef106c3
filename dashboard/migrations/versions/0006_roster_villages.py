"""roster_villages: the villages of every roster version, with 撤销/合并 marks and the month they took effect

Rosters become versions like every report: the view of a month counts the villages of the roster in effect at
its cut-off, so a later roster change never moves a past denominator. Roster uploads made before this
revision kept no rows of their own; they are backfilled with their county's villages as they stand now,
unmarked — exactly what the dashboards counted before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 12:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "roster_villages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("change", sa.String(length=4), nullable=True),
        sa.Column("change_month", sa.String(length=7), nullable=True),
        sa.Column("merged_into", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"], name="fk_roster_villages_upload_id_uploads"),
        sa.ForeignKeyConstraint(["village_code"], ["regions.code"], name="fk_roster_villages_village_code_regions"),
        sa.PrimaryKeyConstraint("id", name="pk_roster_villages"),
    )
    op.create_index("ix_roster_villages_upload_id", "roster_villages", ["upload_id"])
    op.execute("INSERT INTO roster_villages (upload_id, village_code) "
               "SELECT u.id, r.code FROM uploads u JOIN regions r ON r.county_code = u.scope AND r.level = 'village' "
               "WHERE u.kind = 'roster' AND u.outcome = 'accepted'")


def downgrade() -> None:
    op.drop_index("ix_roster_villages_upload_id", table_name="roster_villages")
    op.drop_table("roster_villages")
