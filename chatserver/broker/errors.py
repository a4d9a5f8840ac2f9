"""The shared-state backend's failure (Redis), as the layers above catch it without importing
the Redis client."""

from __future__ import annotations

from redis.exceptions import RedisError as BrokerError

__all__ = ["BrokerError"]
