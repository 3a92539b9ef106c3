"""boundary_rows: the county and township boundaries of every boundary-layer version (行政区划边界)

A boundary file is an upload like any report (kind ``boundaries``, scope ``county`` or ``township``): the
original file is kept in ``uploads.content``, each matched feature's full and simplified geometry here, and
``regions.boundary`` holds the simplified geometry of the version in effect.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 10:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "boundary_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("feature", sa.Integer(), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("drawing", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"], name="fk_boundary_rows_upload_id_uploads"),
        sa.PrimaryKeyConstraint("id", name="pk_boundary_rows"),
    )
    op.create_index("ix_boundary_rows_upload_id", "boundary_rows", ["upload_id"])


def downgrade() -> None:
    op.drop_index("ix_boundary_rows_upload_id", table_name="boundary_rows")
    op.drop_table("boundary_rows")
