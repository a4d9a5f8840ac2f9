"""Anonymous check-in and check-out of guided sessions: the rooms' setting and the answers.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("checkin", sa.JSON, nullable=True))
    op.create_table(
        "checkins",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("session_id", sa.Integer, nullable=False, index=True),
        sa.Column("room_id", sa.String(64), nullable=False, index=True),
        sa.Column("before", sa.Integer, nullable=True),
        sa.Column("after", sa.Integer, nullable=True),
        sa.Column("extra", sa.Integer, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("checkins")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("checkin")
