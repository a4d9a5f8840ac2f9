"""Brokers chosen by URL: empty for the in-process broker, redis:// for Redis."""

from __future__ import annotations

from chatserver.broker.base import BatchStore, Broker, DurableWrite, EventMeta, StreamEntry


def create_broker(redis_url: str, *, durable_write: DurableWrite, store_batch: BatchStore,
                  buffer_events: int, buffer_seconds: int) -> Broker:
    """The in-process broker when ``redis_url`` is empty, else Redis (imported lazily, so
    a single-process install never loads the Redis client)."""
    if not redis_url:
        from chatserver.broker.memory import MemoryBroker

        return MemoryBroker(durable_write, buffer_events=buffer_events,
                            buffer_seconds=buffer_seconds)
    from chatserver.broker.redis import RedisBroker

    return RedisBroker(redis_url, store_batch, buffer_events=buffer_events,
                       buffer_seconds=buffer_seconds)


__all__ = ["Broker", "EventMeta", "StreamEntry", "create_broker"]
