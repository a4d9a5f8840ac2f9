"""Tables. Every column says why it is stored (see docs/privacy.md for the inventory)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Index, Integer, String, Text
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
