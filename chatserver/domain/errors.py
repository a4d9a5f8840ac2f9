"""One exception tree and the stable error codes that reach clients.

Codes are part of the protocol (docs/protocol.md): never rename one, only add.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    # The frame itself
    BAD_JSON = "bad_json"
    BINARY_NOT_SUPPORTED = "binary_not_supported"
    FRAME_TOO_LARGE = "frame_too_large"
    UNKNOWN_TYPE = "unknown_type"
    INVALID_FRAME = "invalid_frame"
    # The conversation
    HELLO_REQUIRED = "hello_required"
    UNSUPPORTED_VERSION = "unsupported_version"
    INVALID_TOKEN = "invalid_token"
    TEXT_TOO_LONG = "text_too_long"
    TEXT_EMPTY = "text_empty"
    RATE_LIMITED = "rate_limited"
    ROOM_NOT_FOUND = "room_not_found"
    ROOM_CLOSED = "room_closed"
    ROOM_FULL = "room_full"
    TOO_MANY_ROOMS = "too_many_rooms"
    NOT_IN_ROOM = "not_in_room"
    ALREADY_IN_ROOM = "already_in_room"
    REPLY_NOT_FOUND = "reply_not_found"
    FORBIDDEN = "forbidden"
    MESSAGE_NOT_FOUND = "message_not_found"
    MEMBER_NOT_FOUND = "member_not_found"
    BANNED = "banned"
    MUTED = "muted"
    ROOM_LOCKED = "room_locked"
    SLOW_MODE = "slow_mode"
    MESSAGE_REJECTED = "message_rejected"
    NOT_YOUR_MESSAGE = "not_your_message"
    EDIT_WINDOW_PASSED = "edit_window_passed"
    NAME_TOO_SHORT = "name_too_short"
    NAME_TOO_LONG = "name_too_long"
    NAME_FORBIDDEN_CHARACTER = "name_forbidden_character"
    NAME_TAKEN = "name_taken"
    NAME_LOOKS_LIKE_STAFF = "name_looks_like_staff"
    # One-to-one support
    QUEUE_CLOSED = "queue_closed"
    ALREADY_QUEUED = "already_queued"
    NOT_QUEUED = "not_queued"
    QUEUE_EMPTY = "queue_empty"
    AT_CAPACITY = "at_capacity"
    NOT_AVAILABLE = "not_available"
    CONVERSATION_NOT_FOUND = "conversation_not_found"
    INVALID_ANSWERS = "invalid_answers"
    # Sessions and closed groups
    SESSION_NOT_STARTED = "session_not_started"
    SESSION_STATE = "session_state"
    NO_SESSION = "no_session"
    NOT_A_MEMBER = "not_a_member"
    RULES_NOT_ACCEPTED = "rules_not_accepted"
    INVITE_INVALID = "invite_invalid"
    NO_ROUND = "no_round"
    FEEDBACK_GIVEN = "feedback_given"
    CHECKIN_GIVEN = "checkin_given"
    # The alert inbox
    ALERT_NOT_FOUND = "alert_not_found"
    ALERT_STATE = "alert_state"
    PERSON_LEFT = "person_left"
    PERSON_RETURNING = "person_returning"
    # The server
    TOO_MANY_CONNECTIONS = "too_many_connections"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


# Human messages in English for developers and logs; the UI shows its own translated text
# chosen by code, so these never need to be localised.
MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.BAD_JSON: "The frame is not valid JSON.",
    ErrorCode.BINARY_NOT_SUPPORTED: "Binary frames are not supported; send JSON text frames.",
    ErrorCode.FRAME_TOO_LARGE: "The frame is larger than the server accepts.",
    ErrorCode.UNKNOWN_TYPE: "The frame has an unknown type.",
    ErrorCode.INVALID_FRAME: "A field of the frame is missing or has the wrong type.",
    ErrorCode.HELLO_REQUIRED: "Send a hello frame first.",
    ErrorCode.UNSUPPORTED_VERSION: "This protocol version is not supported.",
    ErrorCode.INVALID_TOKEN: "The identity token is not known; a new identity was not made.",
    ErrorCode.TEXT_TOO_LONG: "The message is longer than the room allows.",
    ErrorCode.TEXT_EMPTY: "The message is empty.",
    ErrorCode.RATE_LIMITED: "Too many frames; wait before sending again.",
    ErrorCode.ROOM_NOT_FOUND: "There is no such room.",
    ErrorCode.ROOM_CLOSED: "The room is not open now.",
    ErrorCode.ROOM_FULL: "The room is full.",
    ErrorCode.TOO_MANY_CONNECTIONS: "Too many connections from this address; close some first.",
    ErrorCode.TOO_MANY_ROOMS: "This connection is in too many rooms.",
    ErrorCode.NOT_IN_ROOM: "Join the room first.",
    ErrorCode.ALREADY_IN_ROOM: "This connection is already in the room.",
    ErrorCode.REPLY_NOT_FOUND: "The message replied to is not in this room.",
    ErrorCode.FORBIDDEN: "You may not do that here.",
    ErrorCode.MESSAGE_NOT_FOUND: "There is no such message in this room.",
    ErrorCode.MEMBER_NOT_FOUND: "There is no such member in this room.",
    ErrorCode.BANNED: "You cannot join this room.",
    ErrorCode.MUTED: "You cannot send messages in this room for a while.",
    ErrorCode.ROOM_LOCKED: "The room is read-only for now.",
    ErrorCode.SLOW_MODE: "The room is in slow mode; wait a moment before sending again.",
    ErrorCode.MESSAGE_REJECTED: "The message was not posted; `reason` says why.",
    ErrorCode.NOT_YOUR_MESSAGE: "Only the writer can edit or delete this message.",
    ErrorCode.EDIT_WINDOW_PASSED: "The message can no longer be edited; it can be deleted.",
    ErrorCode.NAME_TOO_SHORT: "The pseudonym needs at least 2 characters and a letter.",
    ErrorCode.NAME_TOO_LONG: "The pseudonym may have at most 32 characters.",
    ErrorCode.NAME_FORBIDDEN_CHARACTER: "The pseudonym has a character that is not allowed.",
    ErrorCode.NAME_TAKEN: "Someone in the room already uses this pseudonym.",
    ErrorCode.NAME_LOOKS_LIKE_STAFF: "The pseudonym looks like a facilitator's.",
    ErrorCode.QUEUE_CLOSED: "One-to-one support is closed now; `next_open` says when it opens.",
    ErrorCode.ALREADY_QUEUED: "You are already waiting for a one-to-one conversation.",
    ErrorCode.NOT_QUEUED: "You are not waiting in the one-to-one queue.",
    ErrorCode.QUEUE_EMPTY: "No one is waiting.",
    ErrorCode.AT_CAPACITY: "The supporter has no free place for another conversation.",
    ErrorCode.NOT_AVAILABLE: "Set yourself available first.",
    ErrorCode.CONVERSATION_NOT_FOUND: "There is no such conversation of yours.",
    ErrorCode.INVALID_ANSWERS: "The pre-chat answers do not fit the questions; `reason` says how.",
    ErrorCode.SESSION_NOT_STARTED: "The session has not started; the lobby is read-only.",
    ErrorCode.SESSION_STATE: "The session's state does not allow that now.",
    ErrorCode.NO_SESSION: "The room has no session now or soon.",
    ErrorCode.NOT_A_MEMBER: "This is a closed group; join it with an invite code first.",
    ErrorCode.RULES_NOT_ACCEPTED: ("Read and accept the room's ground rules first; `reason` "
                                   "is the version to accept."),
    ErrorCode.INVITE_INVALID: "The invite code is not valid, or was used already.",
    ErrorCode.NO_ROUND: "No sharing round is running in this room.",
    ErrorCode.FEEDBACK_GIVEN: "Feedback on this session was given already.",
    ErrorCode.CHECKIN_GIVEN: "The check-in of this session was sent already.",
    ErrorCode.ALERT_NOT_FOUND: "There is no such alert that you may see.",
    ErrorCode.ALERT_STATE: "The alert was handled already (acknowledged or resolved).",
    ErrorCode.PERSON_LEFT: ("The person left with the group's close and no longer has its "
                            "page open; the closing screen showed them the crisis lines."),
    ErrorCode.PERSON_RETURNING: ("The person's page went a moment ago (a reload, a lost "
                                 "connection) and is not back yet; try again in a moment."),
    ErrorCode.UNAVAILABLE: "The server cannot do that right now; try again shortly.",
    ErrorCode.INTERNAL: "Something went wrong on the server.",
}


class ChatError(Exception):
    """Root of every error the server raises on purpose."""


class ProtocolError(ChatError):
    """A client frame or action was refused; ``code`` goes to the client in an error frame."""

    def __init__(self, code: ErrorCode, *, retry_after: float | None = None,
                 reason: str | None = None) -> None:
        super().__init__(code.value)
        self.code = code
        self.retry_after = retry_after
        self.reason = reason  # a stable code (e.g. a filter's category), never user text


class BackendUnavailable(ChatError):
    """The broker or the database did not answer; the action may be retried."""
