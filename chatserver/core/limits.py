"""Per-connection rate limits: they live as long as the connection (a reconnect starts afresh,
which is why the address-keyed limits in the web layer exist too)."""

from __future__ import annotations

from chatserver.domain.config import Settings
from moderation.ratelimit import TokenBucket


class ConnectionLimits:
    __slots__ = ("frames", "reactions", "refused_sends", "reports", "sends")

    def __init__(self, settings: Settings) -> None:
        self.frames = TokenBucket(settings.frame_rate, settings.frame_burst)
        self.sends = TokenBucket(settings.send_rate, settings.send_burst)
        # Lines refused for the send rate looked at for crisis language: a few at once, then
        # one a second, so that flooding costs no more than the screen of lines let through.
        self.refused_sends = TokenBucket(1.0, 3)
        # Reports: a few at once, then one every two minutes.
        self.reports = TokenBucket(1 / 120, 5)
        # Reactions: a handful at once, then one a second.
        self.reactions = TokenBucket(1.0, 10)
