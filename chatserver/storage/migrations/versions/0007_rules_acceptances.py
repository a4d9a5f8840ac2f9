"""Ground rules accepted on the server: which version each per-room member id accepted.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rules_acceptances",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("member", sa.String(32), primary_key=True),
        sa.Column("version", sa.String(32), primary_key=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("rules_acceptances")
