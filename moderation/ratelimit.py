"""Token buckets that take ``now`` instead of reading a clock, so tests are exact."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    """A bucket of ``burst`` tokens refilled at ``rate`` tokens per second.

    ``take`` answers ``0.0`` when the action may happen now (and spends the cost), or the number
    of seconds until it could, without spending anything: a refused action costs nothing, so a
    client that waits the advertised time always gets through.
    """

    rate: float
    burst: float
    tokens: float = -1.0
    updated: float = 0.0

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst <= 0:
            raise ValueError("rate and burst must be positive")
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, now: float, cost: float = 1.0) -> float:
        elapsed = now - self.updated
        if elapsed > 0:
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
            self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.rate


@dataclass(slots=True)
class StrikeCounter:
    """Counts offences in a sliding window; ``hit`` says whether the limit is now crossed.

    Used to close a connection that keeps sending bad frames after being told (close code 1008)
    rather than answering it forever.
    """

    limit: int
    window: float
    _times: list[float] | None = None

    def hit(self, now: float) -> bool:
        times = self._times if self._times is not None else []
        cutoff = now - self.window
        times = [t for t in times if t > cutoff]
        times.append(now)
        self._times = times
        return len(times) > self.limit
