"""Anonymous feedback after a one-to-one conversation (a rating, an optional text, the day).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "one_to_one_feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("text", sa.String(500), nullable=True),
        sa.Column("created_on", sa.Date, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("one_to_one_feedback")
