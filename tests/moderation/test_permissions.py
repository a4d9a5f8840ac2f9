"""The permission matrix: every role x every action x (own room / other room / no room),
plus disabled accounts and targets."""

from __future__ import annotations

import pytest

from moderation.permissions import (
    ADMIN_ACTIONS,
    GLOBAL_ACTIONS,
    ONE_TO_ONE_ACTIONS,
    PARTICIPANT_ACTIONS,
    ROOM_ACTIONS,
    ROOM_STAFF_ACTIONS,
    STAFF_SELF_ACTIONS,
    Action,
    Actor,
    DenyReason,
    check,
    may,
    may_target,
)
from moderation.types import Role

OWN, OTHER = "room-a", "room-b"
WHERE = {"own room": OWN, "other room": OTHER, "no room": None}


def _actor(role: Role, disabled: bool = False) -> Actor:
    # Participants carry no assignment; staff are assigned to OWN only.
    rooms = frozenset() if role is Role.PARTICIPANT else frozenset({OWN})
    return Actor(role, rooms, disabled)


def expected(role: Role, action: Action, where: str) -> DenyReason | None:
    """The rules, written out once more as a table, independently of the implementation."""
    room = WHERE[where]
    if action in ROOM_ACTIONS and room is None:
        return DenyReason.ROOM_REQUIRED
    if role is Role.ADMIN:
        return None
    if role is Role.PARTICIPANT:
        return None if action in PARTICIPANT_ACTIONS else DenyReason.NOT_PERMITTED
    # facilitator
    if action in STAFF_SELF_ACTIONS:
        return None
    if action in ROOM_STAFF_ACTIONS or action is Action.SEND:
        return None if room == OWN else DenyReason.NOT_ASSIGNED
    return DenyReason.NOT_PERMITTED


MATRIX = [(role, action, where) for role in Role for action in Action for where in WHERE]


@pytest.mark.parametrize(("role", "action", "where"), MATRIX)
def test_matrix(role: Role, action: Action, where: str) -> None:
    decision = check(_actor(role), action, WHERE[where])
    want = expected(role, action, where)
    assert decision.allowed is (want is None)
    assert decision.reason is want
    assert may(_actor(role), action, WHERE[where]) is (want is None)


@pytest.mark.parametrize(("role", "action", "where"), MATRIX)
def test_disabled_accounts_can_do_nothing(role: Role, action: Action, where: str) -> None:
    decision = check(_actor(role, disabled=True), action, WHERE[where])
    assert not decision
    assert decision.reason is DenyReason.DISABLED


def test_every_action_is_in_exactly_one_scope() -> None:
    groups = [PARTICIPANT_ACTIONS, ROOM_STAFF_ACTIONS, STAFF_SELF_ACTIONS, ADMIN_ACTIONS,
              ONE_TO_ONE_ACTIONS]
    assert sum(len(g) for g in groups) == len(Action)
    assert ROOM_ACTIONS | GLOBAL_ACTIONS == frozenset(Action)


@pytest.mark.parametrize("action", sorted(ROOM_STAFF_ACTIONS | ADMIN_ACTIONS))
def test_a_participant_cannot_perform_any_staff_action(action: Action) -> None:
    for room in (OWN, OTHER, None):
        assert not may(Actor(Role.PARTICIPANT, frozenset({OWN, OTHER})), action, room)


def test_a_facilitator_of_room_a_cannot_act_in_room_b() -> None:
    facilitator = Actor(Role.FACILITATOR, frozenset({"a"}))
    assert may(facilitator, Action.BAN_ROOM, "a")
    assert check(facilitator, Action.BAN_ROOM, "b").reason is DenyReason.NOT_ASSIGNED
    assert not may(facilitator, Action.BAN_GLOBAL, None)


def test_unknown_actions_and_bad_input_are_refused() -> None:
    admin = Actor(Role.ADMIN)
    assert check(admin, "launch_rockets", "a").reason is DenyReason.UNKNOWN_ACTION  # type: ignore[arg-type]
    assert check(admin, "send", "a").reason is DenyReason.UNKNOWN_ACTION  # type: ignore[arg-type]
    assert not check(Actor("admin"), Action.SEND, "a")  # type: ignore[arg-type]
    assert not check(admin, Action.SEND, "")


@pytest.mark.parametrize(
    ("role", "target", "allowed"),
    [
        (Role.ADMIN, Role.PARTICIPANT, True),
        (Role.ADMIN, Role.FACILITATOR, True),
        (Role.ADMIN, Role.ADMIN, True),
        (Role.FACILITATOR, Role.PARTICIPANT, True),
        (Role.FACILITATOR, Role.FACILITATOR, False),
        (Role.FACILITATOR, Role.ADMIN, False),
        (Role.PARTICIPANT, Role.PARTICIPANT, False),
        (Role.PARTICIPANT, Role.FACILITATOR, False),
        (Role.PARTICIPANT, Role.ADMIN, False),
    ],
)
def test_may_target(role: Role, target: Role, allowed: bool) -> None:
    actor = _actor(role)
    assert may_target(actor, target) is allowed
    assert may_target(actor, target, Action.MUTE) is allowed
    assert not may_target(_actor(role, disabled=True), target)


def test_participants_report_anyone_but_ignore_only_participants() -> None:
    p = Actor(Role.PARTICIPANT)
    assert all(may_target(p, r, Action.REPORT) for r in Role)
    assert may_target(p, Role.PARTICIPANT, Action.IGNORE)
    assert not may_target(p, Role.FACILITATOR, Action.IGNORE)
    assert not may_target(p, Role.PARTICIPANT, Action.KICK)


def test_check_with_target_role() -> None:
    facilitator = Actor(Role.FACILITATOR, frozenset({OWN}))
    assert check(facilitator, Action.MUTE, OWN, target_role=Role.PARTICIPANT)
    denied = check(facilitator, Action.MUTE, OWN, target_role=Role.ADMIN)
    assert denied.reason is DenyReason.TARGET_PROTECTED
    denied = check(facilitator, Action.BAN_ROOM, OWN, target_role=Role.FACILITATOR)
    assert denied.reason is DenyReason.TARGET_PROTECTED
    # The room check comes first: no hint about the target in another room.
    assert check(facilitator, Action.MUTE, OTHER,
                 target_role=Role.ADMIN).reason is DenyReason.NOT_ASSIGNED


def test_one_to_one_support_needs_the_permission() -> None:
    assert may(Actor(Role.FACILITATOR, frozenset({OWN}), one_to_one=True),
               Action.SUPPORT_ONE_TO_ONE)
    denied = check(Actor(Role.FACILITATOR, frozenset({OWN})), Action.SUPPORT_ONE_TO_ONE)
    assert denied.reason is DenyReason.NOT_PERMITTED
    assert not may(Actor(Role.PARTICIPANT, one_to_one=True), Action.SUPPORT_ONE_TO_ONE)
    assert not may(Actor(Role.FACILITATOR, one_to_one=True, disabled=True),
                   Action.SUPPORT_ONE_TO_ONE)
    assert may(Actor(Role.ADMIN), Action.SUPPORT_ONE_TO_ONE)
