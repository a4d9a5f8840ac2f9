"""Queries for staff accounts, sessions, room assignments and the audit log."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update

from chatserver.storage.models import (
    AuditEntry,
    ChatSession,
    Room,
    RoomAssignment,
    SessionFacilitator,
    StaffAccount,
    StaffSession,
)
from chatserver.storage.store import Store

# A session's states from its lobby's opening to its close (core/session_gate.py's CURRENT).
OPEN_SESSION_STATES = ("lobby", "live", "ending")
# How long after its close a session's room stays with those assigned to that session alone.
AFTER_SESSION = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class AccountRecord:
    id: str
    username: str
    display_name: str
    role: str
    disabled: bool
    password_hash: str
    rooms: frozenset[str]
    # Rooms in ``rooms`` held only while a session assigned to this account alone (not its
    # room) is open: signed-in staff only (see StaffStore.session), never an admin's edit.
    session_rooms: frozenset[str] = frozenset()

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "display_name": self.display_name,
                "role": self.role, "disabled": self.disabled, "rooms": sorted(self.rooms)}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffStore:
    def __init__(self, store: Store) -> None:
        self.sessions = store.sessions

    async def _rooms(self, account_id: str) -> frozenset[str]:
        async with self.sessions() as s:
            rows = await s.scalars(select(RoomAssignment.room_id)
                                   .where(RoomAssignment.account_id == account_id))
            return frozenset(rows.all())

    async def _record(self, row: StaffAccount) -> AccountRecord:
        return AccountRecord(row.id, row.username, row.display_name, row.role, row.disabled,
                             row.password_hash, await self._rooms(row.id))

    async def create(self, account_id: str, username: str, display_name: str,
                     password_hash: str, role: str) -> AccountRecord:
        async with self.sessions.begin() as s:
            s.add(StaffAccount(id=account_id, username=username, display_name=display_name,
                               password_hash=password_hash, role=role, disabled=False,
                               created_at=datetime.now(UTC)))
        return AccountRecord(account_id, username, display_name, role, False, password_hash,
                             frozenset())

    async def by_username(self, username: str) -> AccountRecord | None:
        async with self.sessions() as s:
            row = await s.scalar(select(StaffAccount).where(StaffAccount.username == username))
        return await self._record(row) if row else None

    async def by_id(self, account_id: str) -> AccountRecord | None:
        async with self.sessions() as s:
            row = await s.get(StaffAccount, account_id)
        return await self._record(row) if row else None

    async def all(self) -> list[AccountRecord]:
        async with self.sessions() as s:
            rows = (await s.scalars(select(StaffAccount).order_by(StaffAccount.username))).all()
        return [await self._record(r) for r in rows]

    async def count_admins(self) -> int:
        async with self.sessions() as s:
            rows = await s.scalars(select(StaffAccount.id).where(StaffAccount.role == "admin"))
            return len(rows.all())

    async def display_names(self) -> list[str]:
        async with self.sessions() as s:
            return list((await s.scalars(select(StaffAccount.display_name))).all())

    async def set_password_hash(self, account_id: str, password_hash: str) -> None:
        async with self.sessions.begin() as s:
            await s.execute(update(StaffAccount).where(StaffAccount.id == account_id)
                            .values(password_hash=password_hash))

    async def set_disabled(self, account_id: str, disabled: bool) -> None:
        async with self.sessions.begin() as s:
            await s.execute(update(StaffAccount).where(StaffAccount.id == account_id)
                            .values(disabled=disabled))
            if disabled:
                await s.execute(delete(StaffSession).where(StaffSession.account_id == account_id))

    async def set_rooms(self, account_id: str, rooms: set[str]) -> None:
        async with self.sessions.begin() as s:
            await s.execute(delete(RoomAssignment).where(RoomAssignment.account_id == account_id))
            for room in sorted(rooms):
                s.add(RoomAssignment(account_id=account_id, room_id=room))

    # Sessions ----------------------------------------------------------------------------

    async def open_session(self, token: str, account_id: str, csrf: str,
                           expires_at: datetime) -> None:
        async with self.sessions.begin() as s:
            s.add(StaffSession(token_hash=_hash(token), account_id=account_id, csrf_token=csrf,
                               expires_at=expires_at))

    async def session(self, token: str, now: datetime
                      ) -> tuple[AccountRecord, str, datetime] | None:
        """The account, CSRF token and expiry of a live session, or None (expired, unknown,
        or the account is disabled)."""
        async with self.sessions() as s:
            row = await s.get(StaffSession, _hash(token))
            if row is None:
                return None
            expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(
                tzinfo=UTC)
            if expires < now:
                return None
            account = await s.get(StaffAccount, row.account_id)
            csrf = row.csrf_token
        if account is None or account.disabled:
            return None
        return await self._with_session_rooms(await self._record(account), now), csrf, expires

    async def _with_session_rooms(self, record: AccountRecord, now: datetime) -> AccountRecord:
        """A facilitator assigned to one session (a pair's second, a stand-in) facilitates
        its room from the lobby's opening, as the room's own facilitators do: joins it,
        moderates, gets its alerts. They keep a room open only in its sessions for a while
        after the close, for the debrief (it admits no participant between sessions, so no
        alert comes from it then): not bounced from the room at the goodbyes."""
        if record.role != "facilitator":
            return record
        async with self.sessions() as s:
            rows = await s.scalars(
                select(ChatSession.room_id)
                .join(SessionFacilitator, SessionFacilitator.session_id == ChatSession.id)
                .where(SessionFacilitator.account_id == record.id,
                       or_(ChatSession.state.in_(OPEN_SESSION_STATES),
                           and_(ChatSession.state == "closed",
                                ChatSession.closed_at >= now - AFTER_SESSION,
                                ChatSession.room_id.in_(select(Room.id).where(
                                    Room.session_mode == "sessions"))))))
            extra = frozenset(rows.all()) - record.rooms
        return replace(record, rooms=record.rooms | extra, session_rooms=extra) if extra else record

    async def close_session(self, token: str) -> None:
        async with self.sessions.begin() as s:
            await s.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))

    async def close_sessions(self, account_id: str, *, keep: str | None = None) -> None:
        async with self.sessions.begin() as s:
            q = delete(StaffSession).where(StaffSession.account_id == account_id)
            if keep is not None:
                q = q.where(StaffSession.token_hash != _hash(keep))
            await s.execute(q)

    # Audit -------------------------------------------------------------------------------

    async def audit(self, *, actor_id: str, actor_name: str, action: str,
                    room_id: str | None = None, target: str | None = None,
                    reason: str | None = None, detail: dict[str, object] | None = None) -> None:
        async with self.sessions.begin() as s:
            s.add(AuditEntry(at=datetime.now(UTC), actor_id=actor_id, actor_name=actor_name,
                             action=action, room_id=room_id, target=target,
                             reason=(reason or None) and reason[:500], detail=detail or {}))

    async def audit_log(self, limit: int = 200, before_id: int | None = None
                        ) -> list[dict[str, Any]]:
        q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if before_id is not None:
            q = q.where(AuditEntry.id < before_id)
        async with self.sessions() as s:
            rows = (await s.scalars(q)).all()
            # A target that is a staff account is shown by the name staff know, not its id.
            names = dict((await s.execute(select(StaffAccount.id,
                                                 StaffAccount.display_name))).tuples().all())
        return [{"id": r.id, "at": _iso(r.at), "actor_id": r.actor_id,
                 "actor_name": r.actor_name, "action": r.action, "room": r.room_id,
                 "target": r.target, "target_name": names.get(r.target or ""),
                 "reason": r.reason, "detail": r.detail} for r in rows]


def _iso(value: datetime) -> str:
    """An instant with its zone (SQLite hands back naive UTC times): a browser shows it in
    the reader's own time."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")
