"""Settings read once from the environment into a frozen object; wrong values fail loudly."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/chatserver.sqlite3"


class ConfigError(ValueError):
    """An environment variable has a value the server cannot use; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every knob of the server. Each field is the upper-cased environment variable."""

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = ""  # empty: the in-process broker (one process only)
    host: str = "127.0.0.1"
    port: int = 8000
    # Origins allowed to open the WebSocket besides the server's own (comma-separated).
    allowed_origins: tuple[str, ...] = ()
    # The browser UI's folder; empty: static/ beside the chatserver package (a checkout).
    static_dir: str = ""
    seed_example_rooms: bool = True
    migrate_on_start: bool = True
    log_level: str = "INFO"
    # Behind a reverse proxy: take the client address and TLS from X-Forwarded-For/-Proto
    # (only for rate limiting and the Secure cookie flag; addresses are never stored).
    trust_proxy_headers: bool = False
    # The proxy addresses whose forwarded headers are believed (comma-separated, or *).
    forwarded_allow_ips: str = "127.0.0.1"
    # Automated-safety defaults for rooms without their own settings: a JSON object of
    # moderation.settings.FilterSettings fields, e.g. {"links": "hold"}.
    filter_defaults: str = ""
    # Secret for deriving per-room member ids; empty: generated once and kept in the database.
    secret_key: str = ""

    # Protocol limits. A frame over max_frame_bytes gets an error; one over 4x that is a
    # transport violation and closes the socket (1009).
    max_frame_bytes: int = 16_384
    max_message_chars: int = 2_000
    max_rooms_per_connection: int = 8
    # A participant may send `send_rate` messages a second with bursts of `send_burst`.
    send_rate: float = 2.0
    send_burst: float = 8.0
    # Any frame at all (typing, joins, pings...): a flood guard on top of the message rate.
    frame_rate: float = 20.0
    frame_burst: float = 60.0
    typing_interval: float = 3.0
    # A connection that has not finished its request headers by then is closed (slow headers).
    header_timeout_seconds: float = 10.0
    # WebSocket keep-alive: a ping to a peer that has sent nothing this long (it keeps NAT and
    # proxy mappings open and finds phones that went away), and the connection closed (1011)
    # when nothing comes back within the timeout. 0 turns the pings off.
    ws_ping_interval_seconds: float = 20.0
    ws_ping_timeout_seconds: float = 20.0
    # A connection that has not said hello by then is closed (1008): idle sockets cost memory.
    hello_timeout: float = 30.0
    # Bad frames tolerated in `abuse_window` seconds before the socket is closed with 1008.
    abuse_limit: int = 20
    abuse_window: float = 10.0
    # Open WebSockets one client address may hold on one process (a connection flood guard;
    # a household or a clinic behind one NAT shares it, so keep it well above one person's).
    max_connections_per_client: int = 32
    # Limits per client address, shared by every process through the broker (token buckets:
    # so many a second, with bursts of so many): hellos, new anonymous identities, joins.
    hello_rate: float = 2.0
    hello_burst: float = 60.0
    new_identity_rate: float = 0.1
    new_identity_burst: float = 20.0
    join_rate: float = 5.0
    join_burst: float = 100.0
    # Per room: joins by identities made on the joining connection (a flood of fresh
    # pseudonyms from many addresses).
    new_member_rate: float = 0.2
    new_member_burst: float = 20.0
    # After a kick or a ban, the room refuses participants' joins from the same client
    # address this long (a keyed hash of it, in the broker); 0: off.
    sanction_cooldown_seconds: int = 120
    # Frames queued for one client before it counts as stuck and is dropped.
    send_queue_frames: int = 512
    # How long a participant may edit a message after sending it (deleting: always).
    edit_window_seconds: float = 600.0
    # Events a new member sees from a retained room's history when joining for the first time.
    history_on_join: int = 50
    # Events kept in the broker for resume (the only copy for ephemeral rooms): the last N
    # events of a room, dropped once the room has been quiet this long.
    resume_buffer_events: int = 1_000
    resume_buffer_seconds: int = 900
    presence_ttl_seconds: float = 6.0
    heartbeat_seconds: float = 2.0
    shutdown_grace_seconds: float = 5.0
    # Anonymous identities unused this many days are deleted (their pseudonym is forgotten).
    identity_retention_days: int = 180
    # How often each process applies retention (idempotent, so every process may do it).
    maintenance_seconds: float = 600.0
    # How often each process evaluates the session timers (only one process wins each change).
    session_timer_seconds: float = 5.0
    # A live guided session with no facilitator present this long tells the room so (and at
    # once when one is back): longer than a console's reload or a network blip.
    facilitator_away_seconds: float = 10.0
    # The person in a private conversation with no page open on any process this long (longer
    # than a reload or a network blip) is away: their supporter's console says so, and that
    # they are back when a page of theirs has the conversation again.
    person_away_seconds: float = 10.0
    # A participant waiting for one-to-one support whose connection drops keeps their place this
    # long (a phone changing networks, a reloaded page), then counts as having left. So does
    # someone whose call for help was open when their group closed (core/presence.py).
    queue_reattach_seconds: float = 120.0
    # An alert (crisis language, a help press, a report...) that no staff member acknowledges
    # within this many seconds goes to every admin and every on-duty one-to-one supporter.
    alert_escalate_seconds: float = 60.0
    # A staff member handling someone who has had no signed-in connection on any process for
    # this long (not a reload or a phone changing networks) is gone: an alert they took is
    # untaken again (the other staff are told, it escalates if it had not, and the person is
    # told that the facilitator had to leave), and the people in their private conversations
    # are told that they are away.
    handler_gone_seconds: float = 60.0
    # A one-to-one supporter gone this long (no signed-in connection anywhere; the people were
    # told at HANDLER_GONE_SECONDS) has their conversations ended and the people put back at
    # the front of the queue, for another supporter to take.
    supporter_requeue_seconds: float = 240.0
    # Alerts (room, kind, pseudonym, times, outcome; never message text) are kept this many
    # days for the handling-time figures, then deleted.
    alert_retention_days: int = 90

    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def redis_enabled(self) -> bool:
        return bool(self.redis_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read the settings from ``env`` (default ``os.environ``); raise ConfigError if wrong."""
        source = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = source.get(f.name.upper())
            if raw is None:
                continue
            values[f.name] = _cast(f.name, str(f.type), raw)
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        positive = ("port", "max_frame_bytes", "max_message_chars", "send_rate", "send_burst",
                    "frame_rate", "frame_burst", "send_queue_frames", "resume_buffer_events",
                    "presence_ttl_seconds", "heartbeat_seconds", "max_rooms_per_connection",
                    "abuse_limit", "abuse_window", "identity_retention_days", "hello_timeout",
                    "edit_window_seconds", "max_connections_per_client",
                    "maintenance_seconds", "session_timer_seconds", "facilitator_away_seconds",
                    "person_away_seconds",
                    "queue_reattach_seconds",
                    "alert_escalate_seconds", "handler_gone_seconds",
                    "supporter_requeue_seconds",
                    "alert_retention_days", "hello_rate",
                    "hello_burst", "new_identity_rate", "new_identity_burst", "join_rate",
                    "join_burst", "new_member_rate", "new_member_burst",
                    "header_timeout_seconds", "ws_ping_timeout_seconds")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name.upper()} must be positive")
        if self.ws_ping_interval_seconds < 0:
            raise ConfigError("WS_PING_INTERVAL_SECONDS must not be negative")
        if self.sanction_cooldown_seconds < 0:
            raise ConfigError("SANCTION_COOLDOWN_SECONDS must not be negative")
        if self.supporter_requeue_seconds < self.handler_gone_seconds:
            raise ConfigError("SUPPORTER_REQUEUE_SECONDS must not be shorter than "
                              "HANDLER_GONE_SECONDS")
        if self.heartbeat_seconds >= self.presence_ttl_seconds:
            raise ConfigError("HEARTBEAT_SECONDS must be shorter than PRESENCE_TTL_SECONDS")
        if self.max_frame_bytes < self.max_message_chars:
            raise ConfigError("MAX_FRAME_BYTES must hold a message of MAX_MESSAGE_CHARS")
        if not self.database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ConfigError(
                "DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        if self.filter_defaults:
            from moderation.settings import FilterSettings

            try:
                FilterSettings.from_dict(json.loads(self.filter_defaults))
            except (ValueError, TypeError, AttributeError) as exc:
                raise ConfigError(f"FILTER_DEFAULTS is not valid: {exc}") from None
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError("REDIS_URL must start with redis://, rediss:// or unix://")


def _cast(name: str, type_name: str, raw: str) -> Any:
    try:
        if type_name == "bool":
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        return raw
    except ValueError:
        raise ConfigError(f"{name.upper()} has a value that is not a {type_name}") from None
