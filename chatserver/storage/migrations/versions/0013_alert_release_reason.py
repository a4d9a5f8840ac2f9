"""Why an alert was untaken again: its handler went offline (gone), may no longer answer it
(revoked: their right removed or their account disabled), or its person is back in the
one-to-one queue (requeued), so that consoles say what is true.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("released_why", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("released_why")
