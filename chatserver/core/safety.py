"""The automated safety every message passes: the room's filters (pure policy in moderation/),
what happens on crisis language (the sender sees the crisis resources at once, privately, and
the facilitators are alerted), and messages held for a facilitator to decide.

Sends, edits, help presses and one-to-one messages all come through here, so it lives in the
core rather than in any one feature.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec

from chatserver.broker.base import Broker
from chatserver.core import metrics
from chatserver.core.crisis import CrisisResources
from chatserver.core.hub import Client, Membership
from chatserver.core.session_gate import SessionGate
from chatserver.domain.config import Settings
from chatserver.domain.protocol import encode, now_ms
from chatserver.storage.moderation import ModerationStore
from chatserver.storage.store import RoomRecord
from moderation.normalize import digest
from moderation.policy import decide
from moderation.types import Outcome, Role, SenderContext, SenderHistory, Verdict


class Safety:
    def __init__(self, settings: Settings, broker: Broker, store: ModerationStore,
                 crisis: CrisisResources, gate: SessionGate) -> None:
        self.settings = settings
        self.broker = broker
        self.store = store
        self.crisis = crisis
        self.gate = gate

    def filter_settings(self, room: RoomRecord) -> dict[str, Any]:
        defaults = self.settings.filter_defaults
        merged: dict[str, Any] = dict(msgspec.json.decode(defaults)) if defaults else {}
        merged.update(room.filter_settings or {})
        return merged

    def screen(self, room: RoomRecord, membership: Membership, text: str,
               confirmed: bool, *, edit: bool = False) -> Verdict:
        """Run the room's filters (pure policy) on a message before it is broadcast. An
        edit is a correction, not another message: the pace guards do not count it."""
        now = time.monotonic()
        context = SenderContext(role=Role(membership.role), joined_at=membership.joined_at,
                                history=SenderHistory() if edit else membership.history)
        verdict = decide(text, settings=self.filter_settings(room), sender_context=context,
                         now=now, confirmed=confirmed)
        # A message waiting for the sender's confirmation is not sent yet: recording it would
        # make the confirmed resend look like a second, too-quick message.
        if verdict.counts_as_sent and verdict.outcome is not Outcome.CONFIRM and not edit:
            membership.history = membership.history.record(digest(text), now)
        return verdict

    async def after_verdict(self, client: Client, room: RoomRecord, membership: Membership,
                            verdict: Verdict, confirmed: bool) -> None:
        """A crisis: the sender sees the crisis resources at once, privately, and the
        facilitators are alerted. Never a refusal, never shown to anyone else. A message
        sent again after a confirmation was already alerted on."""
        if verdict.alert and not confirmed:
            client.offer(encode(await self.crisis.frame(room.id)))
            await self.alert(room.id, membership, "crisis")
            metrics.CRISIS_ALERTS.inc()

    async def alert(self, room_id: str, membership: Membership, why: str) -> None:
        """Tell the room's facilitators, on every process, that someone may need help."""
        await self.gate.count_alert(room_id)
        await self._publish({"kind": "to_staff", "room": room_id, "frame": {
            "type": "alert", "room": room_id, "why": why, "member": membership.member,
            "name": membership.name, "ts": now_ms()}})

    async def hold_message(self, room: RoomRecord, membership: Membership, text: str,
                           reply_to: int | None, reason: str) -> dict[str, Any]:
        """Keep a message for a facilitator to decide; tell the room's staff at once."""
        held = await self.store.hold(room_id=room.id, member=membership.member,
                                     name=membership.name, text=text, reply_to=reply_to,
                                     reason=reason)
        await self._publish({"kind": "to_staff", "room": room.id,
                             "frame": {"type": "held_message", "room": room.id, "held": held}})
        return held

    async def _publish(self, event: dict[str, Any]) -> None:
        await self.broker.publish_control(msgspec.json.encode(event))
