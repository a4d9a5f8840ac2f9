"""Sessions: room settings for sessions, schedules and their exceptions, sessions,
per-session facilitators, attendance, closed groups (invite codes, members), feedback,
debriefs. Why each column is stored: chatserver/storage/models.py.

Revision ID: 0004
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0005"  # 0005 (one-to-one) landed on main first; the chain stays linear
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("target_group", sa.JSON, nullable=False,
                                   server_default="{}"))
        batch.add_column(sa.Column("ground_rules", sa.JSON, nullable=False,
                                   server_default="{}"))
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=False,
                                   server_default="Europe/Helsinki"))
        batch.add_column(sa.Column("session_mode", sa.String(16), nullable=False,
                                   server_default="always"))
        batch.add_column(sa.Column("lobby_minutes", sa.Integer, nullable=False,
                                   server_default="15"))
        batch.add_column(sa.Column("warn_minutes", sa.Integer, nullable=False,
                                   server_default="5"))
        batch.add_column(sa.Column("grace_minutes", sa.Integer, nullable=False,
                                   server_default="5"))
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(64), nullable=False, index=True),
        sa.Column("frequency", sa.String(8), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("start_time", sa.String(5), nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
        sa.Column("weekdays", sa.JSON, nullable=False),
        sa.Column("until", sa.Date, nullable=True),
        sa.Column("count", sa.Integer, nullable=True),
        sa.Column("themes", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "schedule_exceptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("schedule_id", sa.Integer, nullable=False, index=True),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("new_start", sa.String(16), nullable=True),
        sa.Column("new_duration", sa.Integer, nullable=True),
        sa.UniqueConstraint("schedule_id", "on_date"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(64), nullable=False, index=True),
        sa.Column("schedule_id", sa.Integer, nullable=True),
        sa.Column("occurrence", sa.Date, nullable=True),
        sa.Column("state", sa.String(16), nullable=False, server_default="scheduled"),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("extended_minutes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("theme", sa.String(200), nullable=True),
        sa.Column("meeting_number", sa.Integer, nullable=True),
        sa.Column("alerted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("first_seq", sa.BigInteger, nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attendance", sa.Integer, nullable=False, server_default="0"),
        sa.Column("messages", sa.Integer, nullable=False, server_default="0"),
        sa.Column("alerts", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("schedule_id", "occurrence"),
    )
    op.create_table(
        "session_facilitators",
        sa.Column("session_id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.String(36), primary_key=True),
    )
    op.create_table(
        "session_attendees",
        sa.Column("session_id", sa.Integer, primary_key=True),
        sa.Column("member", sa.String(32), primary_key=True),
    )
    op.create_table(
        "invite_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("room_id", sa.String(64), nullable=False, index=True),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "group_members",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("identity_id", sa.String(36), primary_key=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.Integer, nullable=False, index=True),
        sa.Column("room_id", sa.String(64), nullable=False, index=True),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("text", sa.String(500), nullable=True),
        sa.Column("created_on", sa.Date, nullable=False),
    )
    op.create_table(
        "feedback_receipts",
        sa.Column("session_id", sa.Integer, primary_key=True),
        sa.Column("member", sa.String(32), primary_key=True),
    )
    op.create_table(
        "sharing_rounds",
        sa.Column("room_id", sa.String(64), primary_key=True),
        sa.Column("state", sa.JSON, nullable=False),
    )
    op.create_table(
        "debriefs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.Integer, nullable=False, index=True),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("author_name", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("debriefs", "sharing_rounds", "feedback_receipts", "feedback", "group_members",
                  "invite_codes", "session_attendees", "session_facilitators", "sessions",
                  "schedule_exceptions", "schedules"):
        op.drop_table(table)
    with op.batch_alter_table("rooms") as batch:
        for column in ("grace_minutes", "warn_minutes", "lobby_minutes", "session_mode",
                       "time_zone", "ground_rules", "target_group"):
            batch.drop_column(column)
