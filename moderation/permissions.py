"""Who may do what, where: one pure function over the actor, the action and the room.

The rules:

- a disabled account may do nothing;
- participants may do the participant actions, in a room (whether they are *in* that room,
  and not banned from it, is the chat server's check);
- facilitators may send and use the room tools only in the rooms assigned to them, and may
  change their own password; they may direct actions only at participants;
- facilitators with the one-to-one permission (``Actor.one_to_one``) may give one-to-one
  support (no room: the queue is shared);
- admins may do everything, anywhere, and may direct actions at anyone;
- an action that needs a room is refused without one; anything unknown is refused.

Use :func:`check` for a :class:`Decision` with a reason code (for the error frame), or
:func:`may` for a plain bool. Check the target with :func:`may_target` (or pass
``target_role`` to :func:`check`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from moderation.types import Role


class Action(StrEnum):
    """Every action in the chat, by its stable code."""

    # Participants
    SEND = "send"
    REPORT = "report"
    IGNORE = "ignore"
    UNIGNORE = "unignore"
    HELP_REQUEST = "help_request"  # "I need help now"
    FEEDBACK = "feedback"
    REQUEST_ONE_TO_ONE = "request_one_to_one"
    # Room tools: facilitators in their rooms, admins anywhere
    REDACT = "redact"
    REMOVE_RECENT = "remove_recent"
    WARN = "warn"
    MUTE = "mute"
    UNMUTE = "unmute"
    SHADOW_MUTE = "shadow_mute"
    KICK = "kick"
    BAN_ROOM = "ban_room"
    UNBAN_ROOM = "unban_room"
    SLOW_MODE = "slow_mode"
    LOCK = "lock"
    PREMODERATE = "premoderate"
    APPROVE = "approve"  # release a held message
    DECLINE = "decline"  # drop a held message
    PIN = "pin"
    UNPIN = "unpin"
    VIEW_REPORTS = "view_reports"
    RESOLVE_REPORT = "resolve_report"
    VIEW_ALERTS = "view_alerts"
    HANDLE_ALERT = "handle_alert"  # acknowledge, resolve, talk privately with the person
    OPEN_SESSION = "open_session"
    CLOSE_SESSION = "close_session"
    TAKE_ONE_TO_ONE = "take_one_to_one"
    # Facilitators with the one-to-one permission, and admins; no room
    SUPPORT_ONE_TO_ONE = "support_one_to_one"
    # Any staff member, no room
    CHANGE_OWN_PASSWORD = "change_own_password"
    # Admins only, no room
    BAN_GLOBAL = "ban_global"
    UNBAN_GLOBAL = "unban_global"
    READ_AUDIT = "read_audit"
    MANAGE_ROOMS = "manage_rooms"
    MANAGE_STAFF = "manage_staff"
    MANAGE_FILTERS = "manage_filters"
    MANAGE_CRISIS_RESOURCES = "manage_crisis_resources"
    MANAGE_SCHEDULES = "manage_schedules"
    VIEW_STATS = "view_stats"
    VIEW_FEEDBACK = "view_feedback"
    ERASE_IDENTITY = "erase_identity"  # a person's request to erase their data


PARTICIPANT_ACTIONS = frozenset({
    Action.SEND, Action.REPORT, Action.IGNORE, Action.UNIGNORE, Action.HELP_REQUEST,
    Action.FEEDBACK, Action.REQUEST_ONE_TO_ONE,
})
ROOM_STAFF_ACTIONS = frozenset({
    Action.REDACT, Action.REMOVE_RECENT, Action.WARN, Action.MUTE, Action.UNMUTE,
    Action.SHADOW_MUTE, Action.KICK, Action.BAN_ROOM, Action.UNBAN_ROOM, Action.SLOW_MODE,
    Action.LOCK, Action.PREMODERATE, Action.APPROVE, Action.DECLINE, Action.PIN, Action.UNPIN,
    Action.VIEW_REPORTS, Action.RESOLVE_REPORT, Action.VIEW_ALERTS, Action.HANDLE_ALERT,
    Action.OPEN_SESSION,
    Action.CLOSE_SESSION, Action.TAKE_ONE_TO_ONE,
})
STAFF_SELF_ACTIONS = frozenset({Action.CHANGE_OWN_PASSWORD})
# A global ban reaches rooms a facilitator does not look after, so it is an admin's call;
# a facilitator bans from their own rooms.
ADMIN_ACTIONS = frozenset({
    Action.BAN_GLOBAL, Action.UNBAN_GLOBAL, Action.READ_AUDIT, Action.MANAGE_ROOMS,
    Action.MANAGE_STAFF, Action.MANAGE_FILTERS, Action.MANAGE_CRISIS_RESOURCES,
    Action.MANAGE_SCHEDULES, Action.VIEW_STATS, Action.VIEW_FEEDBACK, Action.ERASE_IDENTITY,
})
ROOM_ACTIONS = PARTICIPANT_ACTIONS | ROOM_STAFF_ACTIONS
ONE_TO_ONE_ACTIONS = frozenset({Action.SUPPORT_ONE_TO_ONE})
GLOBAL_ACTIONS = STAFF_SELF_ACTIONS | ADMIN_ACTIONS | ONE_TO_ONE_ACTIONS

# Actions aimed at another person (the rest are aimed at a room, a message or oneself).
TARGETED_ACTIONS = frozenset({
    Action.REPORT, Action.IGNORE, Action.UNIGNORE, Action.REMOVE_RECENT, Action.WARN,
    Action.MUTE, Action.UNMUTE, Action.SHADOW_MUTE, Action.KICK, Action.BAN_ROOM,
    Action.UNBAN_ROOM, Action.BAN_GLOBAL, Action.UNBAN_GLOBAL,
})

_FACILITATOR_ROOM_ACTIONS = ROOM_STAFF_ACTIONS | {Action.SEND}


class DenyReason(StrEnum):
    """Why an action was refused; the value is the protocol error code."""

    DISABLED = "account_disabled"
    UNKNOWN_ACTION = "unknown_action"
    NOT_PERMITTED = "not_permitted"
    NOT_ASSIGNED = "room_not_assigned"
    ROOM_REQUIRED = "room_required"
    TARGET_PROTECTED = "target_protected"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a role, the rooms assigned to them (staff) and whether they are disabled."""

    role: Role
    rooms: frozenset[str] = field(default_factory=frozenset)
    disabled: bool = False
    one_to_one: bool = False  # a facilitator an admin made a one-to-one supporter


@dataclass(frozen=True, slots=True)
class Decision:
    """Allowed, or refused with a reason. Truthy when allowed."""

    allowed: bool
    reason: DenyReason | None = None

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


def _deny(reason: DenyReason) -> Decision:
    return Decision(False, reason)


def check(actor: Actor, action: Action, room_id: str | None = None, *,
          target_role: Role | None = None) -> Decision:
    """May ``actor`` perform ``action`` in ``room_id`` (``None`` for no room)?

    With ``target_role``, also checks that the actor may aim this action at someone of that
    role (see :func:`may_target`).
    """
    if not isinstance(actor, Actor) or not isinstance(actor.role, Role):
        return _deny(DenyReason.NOT_PERMITTED)
    if actor.disabled:
        return _deny(DenyReason.DISABLED)
    if not isinstance(action, Action):
        return _deny(DenyReason.UNKNOWN_ACTION)
    decision = _role_allows(actor, action, room_id)
    if decision and target_role is not None and not may_target(actor, target_role, action):
        return _deny(DenyReason.TARGET_PROTECTED)
    return decision


def _role_allows(actor: Actor, action: Action, room_id: str | None) -> Decision:
    if action in ROOM_ACTIONS and not (isinstance(room_id, str) and room_id):
        return _deny(DenyReason.ROOM_REQUIRED)
    if actor.role is Role.ADMIN:
        return ALLOWED
    if actor.role is Role.PARTICIPANT:
        return ALLOWED if action in PARTICIPANT_ACTIONS else _deny(DenyReason.NOT_PERMITTED)
    if actor.role is Role.FACILITATOR:
        if action in STAFF_SELF_ACTIONS:
            return ALLOWED
        if action is Action.SUPPORT_ONE_TO_ONE:
            return ALLOWED if actor.one_to_one else _deny(DenyReason.NOT_PERMITTED)
        if action not in _FACILITATOR_ROOM_ACTIONS:
            return _deny(DenyReason.NOT_PERMITTED)
        return ALLOWED if room_id in actor.rooms else _deny(DenyReason.NOT_ASSIGNED)
    return _deny(DenyReason.NOT_PERMITTED)


def may(actor: Actor, action: Action, room_id: str | None = None) -> bool:
    """``check(...)`` as a bool."""
    return check(actor, action, room_id).allowed


def may_target(actor: Actor, target_role: Role, action: Action | None = None) -> bool:
    """May ``actor`` aim an action at a person with ``target_role``?

    Admins may aim at anyone; facilitators only at participants (never at an admin or
    another facilitator); participants may report anyone's message but ignore only other
    participants (a facilitator's words must stay visible) and aim nothing else at anyone.
    A disabled account may aim at no one.
    """
    if not isinstance(actor, Actor) or actor.disabled or not isinstance(target_role, Role):
        return False
    if actor.role is Role.ADMIN:
        return True
    if actor.role is Role.FACILITATOR:
        return target_role is Role.PARTICIPANT
    if actor.role is Role.PARTICIPANT:
        if action is Action.REPORT:
            return True
        if action in (Action.IGNORE, Action.UNIGNORE):
            return target_role is Role.PARTICIPANT
    return False
