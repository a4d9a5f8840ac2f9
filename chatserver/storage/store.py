"""Queries over the database, behind one object handed through the app's state."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, event, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from chatserver.storage.models import AppSetting, Event, Identity, Room, ServerSecret
from chatserver.storage.raw_reads import PgRawReader, RawReader
from chatserver.storage.sqlite_writes import SqliteBatchWriter


@dataclass(frozen=True, slots=True)
class StoredEvent:
    room_id: str
    seq: int
    kind: str
    member: str
    created_at: datetime
    frame: str


@dataclass(frozen=True, slots=True)
class RoomRecord:
    id: str
    names: dict[str, str]
    descriptions: dict[str, str]
    kind: str
    access: str
    capacity: int
    retention: str
    retention_days: int | None
    is_open: bool
    last_seq: int
    position: int
    filter_settings: dict[str, object] | None = None
    target_group: dict[str, str] = field(default_factory=dict)
    ground_rules: dict[str, str] = field(default_factory=dict)
    time_zone: str = "Europe/Helsinki"
    session_mode: str = "always"  # always | sessions
    lobby_minutes: int = 15
    warn_minutes: int = 5
    grace_minutes: int = 5
    checkin: dict[str, object] | None = None  # {"enabled", "question"}: see models.Room

    @property
    def asks_checkin(self) -> bool:
        """Whether participants are asked how they feel at the start and end of sessions."""
        return bool(self.checkin and self.checkin.get("enabled")) and self.has_sessions

    @property
    def has_sessions(self) -> bool:
        """Whether the room is open only during its sessions."""
        return self.session_mode == "sessions"

    @property
    def persists_events(self) -> bool:
        return self.retention != "ephemeral"


@dataclass(frozen=True, slots=True)
class NewIdentity:
    """An anonymous identity to store: its token only as a hash."""

    id: str
    token_hash: str
    pseudonym: str
    lang: str


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    id: str
    pseudonym: str
    pseudonym_chosen: bool
    lang: str
    # False when its day of last use is before today: the caller marks it (`mark_seen`).
    seen_today: bool = True


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 15})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets readers run beside the writer; NORMAL is durable across a process crash
            # (only an OS crash can lose the last transactions).
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


# Rooms named in one IN (...) list: well under SQLite's limit on bound parameters.
_ROOMS_PER_STATEMENT = 500

_RAW_INSERT_EVENT = ("INSERT INTO events (room_id, seq, kind, member, created_at, frame) "
                     "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
_RAW_INSERT_IDENTITY = ("INSERT INTO identities (id, token_hash, pseudonym, pseudonym_chosen, "
                        "lang, created_at, last_seen_on) VALUES (?, ?, ?, ?, ?, ?, ?)")
_RAW_IDENTITY_BY_TOKEN = ("SELECT id, pseudonym, pseudonym_chosen, lang, last_seen_on "
                          "FROM identities WHERE token_hash = ?")
_RAW_RAISE_SEQ = "UPDATE rooms SET last_seq = ? WHERE id = ? AND last_seq < ?"
# PostgreSQL: a batch of events and its rooms' high-water marks in one statement (one round
# trip, atomic without BEGIN and COMMIT): the rows come as arrays, one per column.
_RAW_STORE_EVENTS_PG = (
    "WITH stored AS (INSERT INTO events (room_id, seq, kind, member, created_at, frame) "
    "SELECT * FROM unnest($1::varchar[], $2::bigint[], $3::varchar[], $4::varchar[], "
    "$5::timestamptz[], $6::text[]) ON CONFLICT DO NOTHING) "
    "UPDATE rooms SET last_seq = heads.seq FROM unnest($7::varchar[], $8::bigint[]) "
    "AS heads(id, seq) WHERE rooms.id = ANY($7::varchar[]) AND rooms.id = heads.id "
    "AND rooms.last_seq < heads.seq")  # ANY: the rooms by their key, not a scan of all


class Store:
    """All database access. Methods raise SQLAlchemy errors on outage; callers map them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # SQLite: every message's durable write goes through one plain driver connection of
        # its own, on a thread of its own, one hop per batch (storage/sqlite_writes.py);
        # through the engine the same batch cost five times the CPU (measured: 850 µs
        # against 157 µs for a batch of two), which with many small rooms was a large part
        # of the server's work.
        url = engine.url
        self._raw_path = (url.database if url.get_backend_name() == "sqlite" and url.database
                          and url.database != ":memory:" else None)
        self._raw = SqliteBatchWriter(self._raw_path) if self._raw_path else None
        # The reads of a room's first join, on SQLite (storage/raw_reads.py).
        self.raw_reader: RawReader | PgRawReader = (
            RawReader(self._raw_path) if self._raw_path else PgRawReader(url))
        # Read-then-write of an app setting: PostgreSQL locks the row (FOR UPDATE) across
        # processes; SQLite ignores FOR UPDATE, and serves one process, so a lock here does.
        self._settings_lock = asyncio.Lock()
        created = cast(Table, Event.__table__).c.created_at.type
        self._bind_time = created.dialect_impl(engine.dialect).bind_processor(engine.dialect)
        self._read_time = created.dialect_impl(engine.dialect).result_processor(engine.dialect,
                                                                                None)
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.insert = (sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert)
        self._insert_identity = insert(cast(Table, Identity.__table__))

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(make_engine(url))

    async def close(self) -> None:
        await self.raw_reader.close()
        if self._raw is not None:
            await self._raw.close()
        await self.engine.dispose()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    # Secrets -----------------------------------------------------------------------------

    async def shared_secret(self, name: str) -> str:
        """The named secret, made on first use; every process gets the same value."""
        async with self.sessions.begin() as s:
            await s.execute(
                self.insert(ServerSecret)
                .values(name=name, value=secrets.token_urlsafe(32))
                .on_conflict_do_nothing()
            )
        async with self.sessions() as s:
            value = await s.scalar(select(ServerSecret.value).where(ServerSecret.name == name))
        assert value is not None
        return value

    async def app_setting(self, name: str) -> object | None:
        async with self.sessions() as s:
            row = await s.get(AppSetting, name)
        return row.value if row else None

    async def set_app_setting(self, name: str, value: object) -> None:
        await self._write_app_setting(name, lambda _: value)

    async def _write_app_setting(self, name: str,
                                 choose: Callable[[object | None], object | None]) -> None:
        """Write ``choose(current)`` unless it is None. Two writers may race to create the
        row (a close and the retention sweep purge the same room): the loser updates it."""
        for attempt in range(2):
            try:
                async with self._settings_lock, self.sessions.begin() as s:
                    row = await s.get(AppSetting, name, with_for_update=True)
                    value = choose(row.value if row is not None else None)
                    if value is None:
                        return
                    if row is None:
                        s.add(AppSetting(name=name, value=value))
                    else:
                        row.value = value
                return
            except IntegrityError:
                if attempt:
                    raise

    async def set_filter_settings(self, room_id: str, settings: dict[str, object] | None) -> None:
        async with self.sessions.begin() as s:
            await s.execute(update(Room).where(Room.id == room_id)
                            .values(filter_settings=settings))

    # Rooms -------------------------------------------------------------------------------

    async def list_rooms(self) -> list[RoomRecord]:
        async with self.sessions() as s:
            rows = (await s.scalars(select(Room).order_by(Room.position, Room.id))).all()
        return [_room(r) for r in rows]

    async def get_room(self, room_id: str) -> RoomRecord | None:
        async with self.sessions() as s:
            row = await s.get(Room, room_id)
        return _room(row) if row else None

    async def count_rooms(self) -> int:
        async with self.sessions() as s:
            return int(await s.scalar(select(func.count()).select_from(Room)) or 0)

    async def add_room(self, **values: Any) -> bool:
        """Insert a room unless its id exists; returns whether it was inserted."""
        values.setdefault("created_at", datetime.now(UTC))
        async with self.sessions.begin() as s:
            result = cast(CursorResult[Any], await s.execute(
                self.insert(Room).values(**values).on_conflict_do_nothing()))
        return bool(result.rowcount)

    async def raise_last_seq(self, heads: dict[str, int]) -> None:
        """Record sequence high-water marks (never lowers one)."""
        if not heads:
            return
        async with self.sessions.begin() as s:
            for room_id, seq in heads.items():
                await s.execute(update(Room).where(Room.id == room_id, Room.last_seq < seq)
                                .values(last_seq=seq))

    # Identities --------------------------------------------------------------------------

    async def create_identity(self, identity_id: str, token: str, pseudonym: str,
                              lang: str) -> IdentityRecord:
        await self.insert_identities([NewIdentity(identity_id, hash_token(token), pseudonym,
                                                  lang)])
        return IdentityRecord(identity_id, pseudonym, False, lang)

    async def insert_identities(self, identities: Sequence[NewIdentity]) -> None:
        """Many new identities in one transaction (everyone arriving at the hour)."""
        if not identities:
            return
        today = _today()
        if isinstance(self.raw_reader, PgRawReader):
            # The plain driver's executemany: through the engine, a pool checkout with its
            # ping, a greenlet and a transaction cost more than the insert (the 18:00 peak).
            await self.raw_reader.write([(_RAW_INSERT_IDENTITY, [
                (i.id, i.token_hash, i.pseudonym, False, i.lang, today, today)
                for i in identities])])
            return
        rows = [{"id": i.id, "token_hash": i.token_hash, "pseudonym": i.pseudonym,
                 "pseudonym_chosen": False, "lang": i.lang, "created_at": today,
                 "last_seen_on": today} for i in identities]
        async with self.engine.begin() as conn:
            await conn.execute(self._insert_identity, rows)

    async def identity_by_token(self, token: str) -> IdentityRecord | None:
        """Every returning person's hello reads this, most of them in the minute their group
        opens: through the plain driver (raw_reads.py), not an ORM session (issue 20)."""
        found = await self.raw_reader.rows(_RAW_IDENTITY_BY_TOKEN, (hash_token(token),))
        row = next(iter(found), None)
        if row is None:
            return None
        identity_id, pseudonym, chosen, lang, seen = row
        return IdentityRecord(identity_id, pseudonym, bool(chosen), lang,
                              seen_today=self.time_value(seen) >= _today())

    async def mark_seen(self, identity_ids: Sequence[str]) -> None:
        """Today as these identities' day of last use (what retention purges by), in one
        transaction."""
        if not identity_ids:
            return
        today = self.time_param(_today())
        await self.write_raw([("UPDATE identities SET last_seen_on = ? WHERE id = ?",
                               [(today, i) for i in identity_ids])])

    async def identity_lang(self, identity_id: str) -> str | None:
        """The UI language an identity last said hello in."""
        async with self.sessions() as s:
            return await s.scalar(select(Identity.lang).where(Identity.id == identity_id))

    async def set_pseudonym(self, identity_id: str, pseudonym: str, chosen: bool) -> None:
        async with self.sessions.begin() as s:
            await s.execute(update(Identity).where(Identity.id == identity_id)
                            .values(pseudonym=pseudonym, pseudonym_chosen=chosen))

    # Events ------------------------------------------------------------------------------

    async def insert_events(self, events: Sequence[StoredEvent]) -> None:
        """Insert in one transaction; an event already stored (same room and seq) is skipped,
        so a batch may be written twice after a crash without doubling anything."""
        if not events:
            return
        heads: dict[str, int] = {}
        for e in events:
            heads[e.room_id] = max(heads.get(e.room_id, 0), e.seq)
        if self._raw is not None:
            await self._insert_events_raw(self._raw, events, heads)
            return
        # PostgreSQL: one statement through the plain driver (storage/raw_reads.py) for the
        # events and the high-water marks (a batch from many small rooms would otherwise cost
        # a round trip per room, and a transaction two more).
        assert isinstance(self.raw_reader, PgRawReader)
        await self.raw_reader.execute(_RAW_STORE_EVENTS_PG, (
            [e.room_id for e in events], [e.seq for e in events], [e.kind for e in events],
            [e.member for e in events], [e.created_at for e in events],
            [e.frame for e in events], list(heads), list(heads.values())))

    async def write_raw(self, statements: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        """A small write of a hello's or join's path (the day of last use, attendance,
        accepted rules) through the plain driver, in one transaction: on SQLite the event
        writer's connection (on the loop when the database is free), on PostgreSQL the read
        pool. Through an ORM session such a write cost about a millisecond of CPU (issue 20).
        A driver error is raised as the engine's would be (``DatabaseError``)."""
        if self._raw is not None:
            try:
                await self._raw.write(statements)
            except (sqlite3.Error, ValueError) as exc:
                raise OperationalError(statements[0][0], None, exc) from exc
            return
        assert isinstance(self.raw_reader, PgRawReader)
        await self.raw_reader.write(statements)

    def time_param(self, value: datetime) -> Any:
        """A time as a plain-driver statement's parameter: as the engine would store it
        (SQLite keeps a text that sorts as the time does)."""
        return self._bind_time(value) if self._bind_time else value

    def time_value(self, value: Any) -> datetime:
        """A time a plain-driver read returned, in UTC (SQLite gives text, naive)."""
        parsed = cast(datetime, self._read_time(value) if self._read_time else value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

    async def _insert_events_raw(self, writer: SqliteBatchWriter,
                                 events: Sequence[StoredEvent], heads: dict[str, int]) -> None:
        rows = [(e.room_id, e.seq, e.kind, e.member, self.time_param(e.created_at), e.frame)
                for e in events]
        await writer.write([(_RAW_INSERT_EVENT, rows),
                            (_RAW_RAISE_SEQ, [(seq, room, seq) for room, seq in heads.items()])])

    async def events_after(self, room_id: str, after: int, before: int | None = None,
                           limit: int = 10_000) -> list[tuple[int, str]]:
        """(seq, frame) with after < seq < before, oldest first."""
        q = select(Event.seq, Event.frame).where(Event.room_id == room_id, Event.seq > after)
        if before is not None:
            q = q.where(Event.seq < before)
        q = q.order_by(Event.seq).limit(limit)
        async with self.sessions() as s:
            return [(int(seq), frame) for seq, frame in (await s.execute(q)).all()]

    async def last_events(self, room_id: str, count: int,
                          before: int | None = None) -> list[tuple[int, str]]:
        """The newest ``count`` events (below ``before``), oldest first."""
        raw = await self.raw_reader.rows(
            "SELECT seq, frame FROM events WHERE room_id = ? AND seq < ? "
            "ORDER BY seq DESC LIMIT ?", (room_id, 2**62 if before is None else before, count))
        return [(int(seq), frame) for seq, frame in reversed(list(raw))]

    async def max_seq(self, room_id: str) -> int:
        row = next(iter(await self.raw_reader.rows(
            "SELECT (SELECT max(seq) FROM events WHERE room_id = ?), "
            "(SELECT last_seq FROM rooms WHERE id = ?)", (room_id, room_id))))
        return max(int(row[0] or 0), int(row[1] or 0))

    async def delete_room_events(self, room_id: str) -> int:
        return await self.delete_events(room_id)

    async def delete_events(self, room_id: str, *, before: datetime | None = None,
                            until: datetime | None = None) -> int:
        """Delete a room's events (those created before ``before`` / up to ``until``) and
        remember the highest number removed, so a resume from before it says it is
        incomplete (``purged_seq``)."""
        where = [Event.room_id == room_id]
        if before is not None:
            where.append(Event.created_at < before)
        if until is not None:
            where.append(Event.created_at <= until)
        async with self.sessions.begin() as s:
            highest = await s.scalar(select(func.max(Event.seq)).where(*where))
            if highest is None:
                return 0
            result = cast(CursorResult[Any], await s.execute(delete(Event).where(*where)))
        await self.mark_purged(room_id, int(highest))
        return int(result.rowcount or 0)

    @staticmethod
    def _purged_key(room_id: str) -> str:
        return "purged:" + hashlib.sha256(room_id.encode()).hexdigest()[:32]

    async def mark_purged(self, room_id: str, seq: int) -> None:
        """Events up to ``seq`` were removed by retention (from the database or the broker)."""
        await self._write_app_setting(
            self._purged_key(room_id),
            lambda current: seq if not isinstance(current, int) or seq > current else None)

    async def purged_seq(self, room_id: str) -> int:
        value = await self.app_setting(self._purged_key(room_id))
        return value if isinstance(value, int) else 0

    async def purge_expired(self, now: datetime) -> int:
        """Delete events older than their room's retention in days; returns how many.

        One grouped read and one delete per retention length (and per 500 rooms), not two
        statements per room: with hundreds of rooms the sweep at start-up (a restart just
        before the hour) would otherwise queue hundreds of statements in front of the joins."""
        by_days: dict[int, list[str]] = {}
        for room in await self.list_rooms():
            if room.retention == "days" and room.retention_days:
                by_days.setdefault(room.retention_days, []).append(room.id)
        deleted = 0
        for days, room_ids in by_days.items():
            cutoff = now - timedelta(days=days)
            for start in range(0, len(room_ids), _ROOMS_PER_STATEMENT):
                chunk = room_ids[start:start + _ROOMS_PER_STATEMENT]
                async with self.sessions.begin() as s:
                    highest = (await s.execute(
                        select(Event.room_id, func.max(Event.seq))
                        .where(Event.room_id.in_(chunk), Event.created_at < cutoff)
                        .group_by(Event.room_id))).all()
                    if not highest:
                        continue
                    result = cast(CursorResult[Any], await s.execute(delete(Event).where(
                        Event.room_id.in_([room_id for room_id, _ in highest]),
                        Event.created_at < cutoff)))
                    deleted += int(result.rowcount or 0)
                for room_id, seq in highest:
                    await self.mark_purged(room_id, int(seq))
        return deleted

    async def delete_identity(self, identity_id: str) -> None:
        async with self.sessions.begin() as s:
            await s.execute(delete(Identity).where(Identity.id == identity_id))

    async def purge_identities(self, unused_since: datetime) -> int:
        """Delete identities not used since the given day; returns how many."""
        async with self.sessions.begin() as s:
            result = cast(CursorResult[Any], await s.execute(
                delete(Identity).where(Identity.last_seen_on < unused_since)))
        return int(result.rowcount or 0)

    async def count_events(self, room_id: str) -> int:
        async with self.sessions() as s:
            return int(await s.scalar(
                select(func.count()).select_from(Event).where(Event.room_id == room_id)) or 0)


def _room(r: Room) -> RoomRecord:
    return RoomRecord(r.id, dict(r.names), dict(r.descriptions), r.kind, r.access, r.capacity,
                      r.retention, r.retention_days, r.is_open, r.last_seq, r.position,
                      dict(r.filter_settings) if r.filter_settings else None,
                      dict(r.target_group or {}), dict(r.ground_rules or {}), r.time_zone,
                      r.session_mode, r.lobby_minutes, r.warn_minutes, r.grace_minutes,
                      dict(r.checkin) if r.checkin else None)


def _today() -> datetime:
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


__all__ = ["IdentityRecord", "IntegrityError", "RoomRecord", "Store", "StoredEvent"]
