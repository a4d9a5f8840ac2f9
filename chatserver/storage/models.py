"""Tables. Every column says why it is stored (see docs/privacy.md for the inventory)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # slug used in URLs/frames
    # Display texts per UI language, {"fi": ..., "sv": ..., "en": ...}.
    names: Mapped[dict[str, str]] = mapped_column(JSON)
    descriptions: Mapped[dict[str, str]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(16))  # guided | unguided
    access: Mapped[str] = mapped_column(String(16), default="drop_in")  # drop_in | closed
    capacity: Mapped[int] = mapped_column(Integer, default=50)
    # ephemeral (never in the database) | session (deleted at close) | days
    retention: Mapped[str] = mapped_column(String(16), default="days")
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # Highest sequence number known to be used: the floor for the counter if the broker lost it.
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order on the landing page
    # The room's automated-safety settings (moderation.settings.FilterSettings as a dict);
    # None: the server's defaults.
    filter_settings: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Identity(Base):
    """An anonymous participant: nothing personal, only what brings back their pseudonym."""

    __tablename__ = "identities"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # SHA-256 of the bearer token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    pseudonym: Mapped[str] = mapped_column(String(64))
    # A generated name may be replaced silently when it collides; a chosen one never is.
    pseudonym_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    lang: Mapped[str] = mapped_column(String(8), default="fi")  # language of generated names
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Day of last use (not the time), so unused identities can be purged.
    last_seen_on: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Event(Base):
    """One entry of a room's ordered stream, stored as the exact frame clients receive."""

    __tablename__ = "events"

    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # message | member_joined | member_left ...
    # Per-room member id (not the identity): lets a writer erase their own messages.
    member: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # for retention
    frame: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_events_room_created", "room_id", "created_at"),)


class ServerSecret(Base):
    """Secrets every process must share (e.g. the key for per-room member ids)."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class StaffAccount(Base):
    """A facilitator or admin. Staff sign in; participants never do."""

    __tablename__ = "staff_accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # lower-cased, for login
    display_name: Mapped[str] = mapped_column(String(64))  # shown with the staff badge
    password_hash: Mapped[str] = mapped_column(String(256))  # Argon2id, never the password
    role: Mapped[str] = mapped_column(String(16))  # facilitator | admin
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is kept here."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))  # must accompany state changes
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RoomAssignment(Base):
    """Which facilitator may act in which room."""

    __tablename__ = "room_assignments"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class AuditEntry(Base):
    """Append-only record of staff actions: who, what, target, room, reason, when.
    Never the text of a message, so it can outlive every message."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_id: Mapped[str] = mapped_column(String(36))
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    room_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target: Mapped[str | None] = mapped_column(String(64), nullable=True)  # member or account
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class Sanction(Base):
    """A mute, shadow-mute or ban. ``room_id`` '*' with ``identity_id`` set: all rooms."""

    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # mute | shadow | ban
    room_id: Mapped[str] = mapped_column(String(64), index=True)
    member: Mapped[str | None] = mapped_column(String(32), nullable=True)  # in that room
    # Only for bans from all rooms: the identity cannot be named by a per-room member id.
    identity_id: Mapped[str | None] = mapped_column(String(48), nullable=True, index=True)
    until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)  # shown to them
    created_by: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lifted: Mapped[bool] = mapped_column(Boolean, default=False)


class Report(Base):
    """A participant's report of a message. The snapshot keeps the reported frame until the
    report is resolved, even if the room's retention or a redaction removes the message."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    category: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    reporter: Mapped[str] = mapped_column(String(32))  # never shown to the reported member
    target: Mapped[str] = mapped_column(String(32))
    snapshot: Mapped[str | None] = mapped_column(Text, nullable=True)  # deleted on resolve
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    resolution: Mapped[str | None] = mapped_column(String(32), nullable=True)
    resolution_note: Mapped[str | None] = mapped_column(String(500), nullable=True)


class RoomControls(Base):
    """Live moderation settings of a room, changed by its facilitators."""

    __tablename__ = "room_controls"

    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slow_mode_seconds: Mapped[int] = mapped_column(Integer, default=0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    premoderated: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class HeldMessage(Base):
    """A message waiting for a facilitator (pre-moderation or a filter's hold). Deleted when
    approved (it then enters the stream) or rejected; kept even in ephemeral rooms until then,
    because someone must be able to review it."""

    __tablename__ = "held_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(64), index=True)
    member: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    reply_to: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reason: Mapped[str] = mapped_column(String(32))  # premoderated, or a filter's category
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AppSetting(Base):
    """Settings admins edit at run time (e.g. the crisis resources), shared by every process."""

    __tablename__ = "app_settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)


class OneToOneOutcome(Base):
    """One finished one-to-one request, for the admins' statistics: when (hour of the week
    and day, to report per period), how long the wait was, whether someone was served and
    whether the request was flagged as a crisis. No identity, topic, answer or text."""

    __tablename__ = "one_to_one_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    hour_of_week: Mapped[int] = mapped_column(Integer)
    wait_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    served: Mapped[bool] = mapped_column(Boolean)
    crisis: Mapped[bool] = mapped_column(Boolean)
