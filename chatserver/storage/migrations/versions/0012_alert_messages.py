"""A person's crisis messages fold into their open call: how many there were, and `seq` then
points at the latest (the facilitator answers to where the person is now).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("messages", sa.Integer, nullable=False, server_default="0"))
    # A crisis alert was raised by one message.
    op.execute("UPDATE alerts SET messages = 1 WHERE kind = 'crisis'")


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("messages")
