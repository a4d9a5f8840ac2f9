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
    UniqueConstraint,
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
    # Who the room is for, per UI language (e.g. relatives): shown on the landing page.
    target_group: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Shown before joining and in the lobby; a participant accepts them to take part.
    ground_rules: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The room's IANA zone: its schedules are local wall-clock times there.
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    # always: open whenever is_open (no sessions); sessions: open only during a session.
    session_mode: Mapped[str] = mapped_column(String(16), default="always")
    # The session timers (chatserver.domain.session_state.SessionTiming), in minutes.
    lobby_minutes: Mapped[int] = mapped_column(Integer, default=15)
    warn_minutes: Mapped[int] = mapped_column(Integer, default=5)
    grace_minutes: Mapped[int] = mapped_column(Integer, default=5)
    # The anonymous check-in and check-out of guided sessions: {"enabled": bool, "question":
    # {fi, sv, en} or None (the admin's own closed question)}; None: not asked.
    checkin: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)


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
class RoomSchedule(Base):
    """When a room's sessions happen (chatserver.domain.schedules.Schedule), in the room's zone."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(64), index=True)
    frequency: Mapped[str] = mapped_column(String(8))  # once | daily | weekly
    start_date: Mapped[date] = mapped_column(Date)  # local date of the first session
    start_time: Mapped[str] = mapped_column(String(5))  # local wall-clock "HH:MM"
    duration_minutes: Mapped[int] = mapped_column(Integer)
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)  # weekly: 0 = Monday
    until: Mapped[date | None] = mapped_column(Date, nullable=True)  # last local date
    count: Mapped[int | None] = mapped_column(Integer, nullable=True)  # or N meetings
    # A closed group's theme per meeting (meeting n gets themes[n-1]); shown to members.
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScheduleException(Base):
    """One date of a schedule cancelled or moved (chatserver.domain.schedules.Cancellation/Move)."""

    __tablename__ = "schedule_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[int] = mapped_column(Integer, index=True)
    on_date: Mapped[date] = mapped_column(Date)  # the local date it replaces
    kind: Mapped[str] = mapped_column(String(8))  # cancel | move
    # move: the new local start "YYYY-MM-DDTHH:MM" and, optionally, a new duration.
    new_start: Mapped[str | None] = mapped_column(String(16), nullable=True)
    new_duration: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (UniqueConstraint("schedule_id", "on_date"),)


class ChatSession(Base):
    """One meeting of a room. Its state is the one every process shares and the timers move;
    it lives here so it survives a restart."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(64), index=True)
    # The schedule and local date it was made from: makes materialising idempotent.
    schedule_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    occurrence: Mapped[date | None] = mapped_column(Date, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)  # UTC
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # UTC, with extensions
    extended_minutes: Mapped[int] = mapped_column(Integer, default=0)  # shown to staff
    theme: Mapped[str | None] = mapped_column(String(200), nullable=True)  # closed groups
    meeting_number: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1..N
    # The no-facilitator alert went out (once across processes and restarts).
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    # The room's last sequence number when it went live: the range its statistics count.
    first_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Anonymous figures for the funder's report, fixed at close: no identities.
    attendance: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    alerts: Mapped[int] = mapped_column(Integer, default=0)  # crisis alerts during it
    # Live and guided, but no facilitator present for a while: the room is told (and whoever
    # arrives later), until one is back.
    facilitator_away: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("schedule_id", "occurrence"),)


class SessionFacilitator(Base):
    """A facilitator assigned to one session only (room-wide ones are RoomAssignment); two
    rows make a pair (a trained peer and a professional worker)."""

    __tablename__ = "session_facilitators"

    session_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)


class SessionAttendee(Base):
    """Who is in a running session, by per-room member id, only to count each person once.
    The rows are deleted at close, leaving only ChatSession.attendance."""

    __tablename__ = "session_attendees"

    session_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member: Mapped[str] = mapped_column(String(32), primary_key=True)


class InviteCode(Base):
    """A single-use invitation to a closed group (a room with access 'closed')."""

    __tablename__ = "invite_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256, never the code
    room_id: Mapped[str] = mapped_column(String(64), index=True)
    created_by: Mapped[str] = mapped_column(String(36))  # staff account: who to ask about it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # unused codes lapse
    # Set once when redeemed (single use); who redeemed it is not kept.
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class GroupMember(Base):
    """An anonymous identity bound to a closed group; no personal data, only the pseudonym it
    keeps inside the group so that members recognise each other from meeting to meeting."""

    __tablename__ = "group_members"

    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    identity_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # for clean-up


class Feedback(Base):
    """Anonymous feedback on a session: no member id, so it cannot be tied to anyone."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(Integer, index=True)
    room_id: Mapped[str] = mapped_column(String(64), index=True)  # per-room aggregates
    rating: Mapped[int] = mapped_column(Integer)  # 1-5
    text: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Day only: enough to order and export, too coarse to match against the chat's times.
    created_on: Mapped[date] = mapped_column(Date)


class FeedbackReceipt(Base):
    """That a member gave feedback on a session (once each), kept apart from the feedback."""

    __tablename__ = "feedback_receipts"

    session_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member: Mapped[str] = mapped_column(String(32), primary_key=True)


class Debrief(Base):
    """A facilitator's notes after a session, for staff only (incidents, notes for the next
    facilitator); participant text is not quoted unless it was reported."""

    __tablename__ = "debriefs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(Integer, index=True)
    account_id: Mapped[str] = mapped_column(String(36))  # who wrote it
    author_name: Mapped[str] = mapped_column(String(64))  # shown to staff beside it
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SharingRound(Base):
    """A room's sharing round while it runs: whose turn, raised hands, passes (per-room member
    ids and pseudonyms, as members see them). Shared by every process; the row is deleted when
    the facilitator ends the round or the session closes."""

    __tablename__ = "sharing_rounds"

    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[dict[str, object]] = mapped_column(JSON)


class Alert(Base):
    """Someone may need help: crisis language in a message, "I need help now", a report, a
    guided session with no facilitator, or a one-to-one request in crisis. Shared by every
    staff member who may see the room, so that everyone knows whether someone is handling it.
    Never holds message text: `seq` points at the message, which the room's retention removes.
    The rows are deleted after ALERT_RETENTION_DAYS."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    # The per-room member id and pseudonym of the person it is about: to reach them (a
    # private conversation) and to show staff whom it concerns; nothing across rooms.
    member: Mapped[str | None] = mapped_column(String(32), nullable=True)
    name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the message, if any
    session_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    report_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Who handles it (an account, and the name staff know them by) and when: handling times.
    acknowledged_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    acknowledged_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                             nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    resolved_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)  # a fixed list
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)  # staff's own words
    conv: Mapped[str | None] = mapped_column(String(64), nullable=True)  # opened from it
    # Its handler went offline without closing it and it was untaken again: how many times
    # (consoles order what they are told by it) and the name of the last one who left it.
    releases: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    released_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Why it was last untaken (RELEASE_REASONS in storage/alerts.py), for what consoles say.
    released_why: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Messages with crisis language folded into it (the first one too); `seq` is the latest.
    messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RulesAcceptance(Base):
    """That a member of a room accepted a version of its ground rules, so a client cannot
    skip them and a changed text is asked again. Per-room member ids: nothing links rooms."""

    __tablename__ = "rules_acceptances"

    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class OneToOneFeedback(Base):
    """Anonymous feedback after a one-to-one conversation: no identity, no conversation id,
    only the day, so it cannot be tied to anyone or to a supporter."""

    __tablename__ = "one_to_one_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rating: Mapped[int] = mapped_column(Integer)  # 1-5
    text: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_on: Mapped[date] = mapped_column(Date, index=True)


class CheckIn(Base):
    """How one person felt at the start and at the end of one session (1-5 each, either may be
    missing) and their answer to the admin's own question. Paired in the person's browser and
    sent in one frame after the close: no member id, identity or time of day, and a random key
    rather than a counter, so the row cannot be tied to anyone, to the order people answered
    in, or to their answers in other sessions."""

    __tablename__ = "checkins"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, not a sequence
    session_id: Mapped[int] = mapped_column(Integer, index=True)
    room_id: Mapped[str] = mapped_column(String(64), index=True)
    before: Mapped[int | None] = mapped_column(Integer, nullable=True)
    after: Mapped[int | None] = mapped_column(Integer, nullable=True)
    extra: Mapped[int | None] = mapped_column(Integer, nullable=True)
