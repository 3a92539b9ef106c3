"""activations: every moment an upload version became the one in effect (commit, restore)

Backfilled from the uploads: each accepted upload was activated when it was uploaded; a version that is
active although a newer one of its report exists was restored, at the moment the newer one was superseded.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 11:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["upload_id"], ["uploads.id"], name="fk_activations_upload_id_uploads"),
        sa.PrimaryKeyConstraint("id", name="pk_activations"),
    )
    op.create_index("ix_activations_upload_id", "activations", ["upload_id"])
    op.create_index("ix_activations_kind_period_scope", "activations", ["kind", "period", "scope", "activated_at"])
    # uploaded_at is already UTC here (0003), in the column's own storage form: copy it as it is
    op.execute("INSERT INTO activations (upload_id, kind, period, scope, activated_at, action) "
               "SELECT id, kind, period, scope, uploaded_at, 'commit' FROM uploads "
               "WHERE outcome = 'accepted' ORDER BY uploaded_at, id")
    op.execute("""
        INSERT INTO activations (upload_id, kind, period, scope, activated_at, action)
        SELECT u.id, u.kind, u.period, u.scope, (SELECT MAX(o.superseded_at) FROM uploads o
                WHERE o.kind = u.kind AND o.period = u.period AND o.scope = u.scope AND o.id > u.id), 'restore'
        FROM uploads u WHERE u.active AND EXISTS (SELECT 1 FROM uploads o WHERE o.kind = u.kind
            AND o.period = u.period AND o.scope = u.scope AND o.id > u.id AND o.outcome = 'accepted'
            AND o.superseded_at IS NOT NULL)""")


def downgrade() -> None:
    op.drop_index("ix_activations_kind_period_scope", table_name="activations")
    op.drop_index("ix_activations_upload_id", table_name="activations")
    op.drop_table("activations")
