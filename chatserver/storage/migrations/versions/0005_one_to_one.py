"""One-to-one support: anonymous outcomes of requests, for statistics.

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "one_to_one_outcomes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("day", sa.Date, nullable=False, index=True),
        sa.Column("hour_of_week", sa.Integer, nullable=False),
        sa.Column("wait_seconds", sa.Float, nullable=True),
        sa.Column("served", sa.Boolean, nullable=False),
        sa.Column("crisis", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("one_to_one_outcomes")
