"""Prometheus metrics. Counts and timings only: never a room's content or a client's address."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

CONNECTIONS = Gauge("chat_connections", "Open WebSocket connections", registry=REGISTRY)
MESSAGES = Counter("chat_messages_total", "Messages accepted into a room", registry=REGISTRY)
DELIVERIES = Counter("chat_deliveries_total", "Stream frames queued to local members",
                     registry=REGISTRY)
FRAME_ERRORS = Counter("chat_frame_errors_total", "Client frames answered with an error",
                       ["code"], registry=REGISTRY)
DROPPED_SLOW = Counter("chat_slow_clients_dropped_total",
                       "Connections dropped because their send queue overflowed",
                       registry=REGISTRY)
GAPS_FILLED = Counter("chat_stream_gaps_filled_total",
                      "Jumps in a room's live stream filled from the buffer or database "
                      "(events published while the subscription was reconnecting)",
                      registry=REGISTRY)
FANOUT_SECONDS = Histogram(
    "chat_fanout_seconds", "Time to queue one frame to every local member of its room",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
    registry=REGISTRY)
APPEND_SECONDS = Histogram(
    "chat_append_seconds",
    "From accepting a message to its acknowledgement (numbered, durable, published)",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
    registry=REGISTRY)
CRISIS_ALERTS = Counter("chat_crisis_alerts_total",
                        "Messages or help requests that alerted facilitators", registry=REGISTRY)
VERDICTS = Counter("chat_verdicts_total", "Automated-safety verdicts on messages", ["outcome"],
                   registry=REGISTRY)
ALERTS = Counter("chat_alerts_total", "Alerts raised for staff, by kind (help, crisis, report, "
                 "no_facilitator, one_to_one_crisis)", ["kind"], registry=REGISTRY)
ALERTS_ASKED_AGAIN = Counter("chat_alerts_asked_again_total",
                             "Help presses and crisis messages by someone whose help or crisis "
                             "alert in the room was still open (announced again, not raised "
                             "twice)", registry=REGISTRY)
ALERTS_RELEASED = Counter("chat_alerts_released_total",
                          "Acknowledged alerts untaken again because their handler went offline "
                          "without closing them", registry=REGISTRY)
