"""Core tables: rooms, anonymous identities, room event streams, shared secrets.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rooms",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("names", sa.JSON, nullable=False),
        sa.Column("descriptions", sa.JSON, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("access", sa.String(16), nullable=False, server_default="drop_in"),
        sa.Column("capacity", sa.Integer, nullable=False, server_default="50"),
        sa.Column("retention", sa.String(16), nullable=False, server_default="days"),
        sa.Column("retention_days", sa.Integer, nullable=True),
        sa.Column("is_open", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("last_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "identities",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("pseudonym_chosen", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("lang", sa.String(8), nullable=False, server_default="fi"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_on", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("member", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("frame", sa.Text, nullable=False),
    )
    op.create_index("ix_events_room_created", "events", ["room_id", "created_at"])
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("server_secrets")
    op.drop_index("ix_events_room_created", table_name="events")
    op.drop_table("events")
    op.drop_table("identities")
    op.drop_table("rooms")
