"""An alert whose handler went offline without closing it is untaken again: how many times
that happened (so a console orders what it is told) and whose it was.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("releases", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("released_name", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("released_name")
        batch.drop_column("releases")
