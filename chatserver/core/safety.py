"""The automated safety every message passes: the room's filters (pure policy in moderation/),
what happens on crisis language (the sender sees the crisis resources at once, privately, and
the facilitators are alerted), and messages held for a facilitator to decide.

Sends, edits, help presses and one-to-one messages all come through here, so it lives in the
core rather than in any one feature.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import msgspec

from chatserver.broker.base import Broker
from chatserver.core import metrics
from chatserver.core.alerts import (
    CRISIS,
    HARM_TO_OTHERS,
    TOLD_KINDS,
    AlertInbox,
    retry_with_backoff,
)
from chatserver.core.crisis import CrisisResources
from chatserver.core.hub import Client, ClientState, Membership
from chatserver.domain.config import Settings
from chatserver.domain.errors import BackendUnavailable
from chatserver.domain.protocol import encode
from chatserver.storage.errors import DatabaseError
from chatserver.storage.moderation import ModerationStore
from chatserver.storage.store import RoomRecord
from moderation.normalize import digest
from moderation.policy import crisis_language_in, decide
from moderation.settings import FilterSettings, SettingsError, with_allowed_numbers
from moderation.types import Outcome, Role, SenderContext, SenderHistory, Verdict

log = logging.getLogger("chatserver.safety")

# A line refused before its screen brings the crisis lines and the alert at most this often
# per membership: refused again and again (muted, a locked room), it is one call, not a flood
# of frames to the person and of alert writes.
REFUSED_CRISIS_SECONDS = 10.0


class Safety:
    def __init__(self, settings: Settings, broker: Broker, store: ModerationStore,
                 crisis: CrisisResources, alerts: AlertInbox) -> None:
        self.settings = settings
        self.broker = broker
        self.store = store
        self.crisis = crisis
        self.alerts = alerts
        # Per room: the room record and crisis numbers its settings were made from, and the
        # validated settings (or, when invalid, the raw ones: decide then holds every message).
        self._compiled: dict[str, tuple[RoomRecord, list[str],
                                        FilterSettings | dict[str, Any]]] = {}
        self._retries: set[asyncio.Task[None]] = set()

    def _settings_for(self, room: RoomRecord) -> FilterSettings | dict[str, Any]:
        """The room's filter settings, validated once and kept until the room record (a
        new one comes with every change) or the crisis numbers change: validating them for
        every message cost more than some filters (issue 20)."""
        phones = self.crisis.phones()
        cached = self._compiled.get(room.id)
        if cached is not None and cached[0] is room and cached[1] == phones:
            return cached[2]
        raw = with_allowed_numbers(self.filter_settings(room), phones)
        settings: FilterSettings | dict[str, Any]
        try:
            settings = FilterSettings.from_dict(raw)
        except SettingsError:
            settings = raw
        if len(self._compiled) > 10_000:
            self._compiled.clear()  # a bound, not an eviction policy: it refills
        self._compiled[room.id] = (room, phones, settings)
        return settings

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
        # The crisis lines shown to people may always be posted (the seeded ones until the
        # edited ones are loaded).
        verdict = decide(text, settings=self._settings_for(room), sender_context=context, now=now,
                         confirmed=confirmed)
        # A message waiting for the sender's confirmation is not sent yet: recording it would
        # make the confirmed resend look like a second, too-quick message.
        if verdict.counts_as_sent and verdict.outcome is not Outcome.CONFIRM and not edit:
            membership.history = membership.history.record(digest(text), now)
        return verdict

    def crisis_language(self, room: RoomRecord, text: str) -> bool:
        """Whether a participant's ``text`` has crisis language by the room's settings: the
        crisis filter alone (pure policy), for a line the room's controls would refuse."""
        return crisis_language_in(text, settings=self._settings_for(room))

    async def refused_line(self, client: Client, room: RoomRecord, membership: Membership,
                           text: str) -> None:
        """A participant's line refused before its screen (the send rate, a group not open,
        a locked room, a mute, an edit too late): the refusal stands, but with crisis language
        the person gets the crisis lines at once and the facilitators the alert (no message
        number: nothing was posted), and the person hears whether anyone can answer. Once per
        REFUSED_CRISIS_SECONDS per membership; a call already open folds as usual."""
        if membership.is_staff:
            return  # staff lines are not screened for crisis language either
        now = time.monotonic()
        if now - membership.refused_crisis_at < REFUSED_CRISIS_SECONDS:
            return
        if not self.crisis_language(room, text):
            return
        membership.refused_crisis_at = now
        await self.show_resources(client, room)
        await self.crisis_alert(client, room, membership, None)

    @staticmethod
    def new_crisis(verdict: Verdict, confirmed: bool) -> bool:
        """Crisis language not yet alerted on (a message sent again after a confirmation was
        alerted on the first time)."""
        return verdict.alert and not confirmed

    async def show_resources(self, client: Client, room: RoomRecord) -> None:
        """The crisis resources, at once and privately: never a refusal, never shown to
        anyone else."""
        client.offer(encode(await self.crisis.frame(room.id)))

    async def crisis_alert(self, client: Client, room: RoomRecord, membership: Membership,
                           seq: int | None) -> None:
        """The facilitators are alerted to crisis language (the message's number, never its
        text); see ``person_alert``."""
        await self.person_alert(client, room.id, membership, kind=CRISIS, seq=seq)

    async def person_alert(self, client: Client, room_id: str, membership: Membership, *,
                           kind: str, seq: int | None = None) -> None:
        """An alert about the person on ``client`` (crisis language, or "I need help now"),
        and the person is told whether anyone who could answer is online. With the database
        away, the person is told at once that the facilitators could not be reached (beside
        the crisis lines they already have) and the alert is tried again until it is stored
        (for alerts.RETRY_SECONDS); with the broker away after it was stored, the inbox announces it
        when the broker is back and tells the person then."""
        try:
            await self._raise_person_alert(client, room_id, membership, kind, seq)
        except (DatabaseError, OSError, BackendUnavailable) as exc:
            log.warning("alert not raised", extra={"kind": kind, "error": type(exc).__name__})
            client.offer(encode({"type": "help_status", "room": room_id,
                                 "status": "not_sent"}))
            if not isinstance(exc, BackendUnavailable):
                retry = asyncio.create_task(self._retry_person_alert(
                    client, room_id, membership, kind, seq), name="alert-retry")
                self._retries.add(retry)
                retry.add_done_callback(self._retries.discard)

    async def _raise_person_alert(self, client: Client, room_id: str, membership: Membership,
                                  kind: str, seq: int | None) -> None:
        tell = client if client.state is ClientState.OPEN else None
        # A press or crisis language while the person's call is open is that call again:
        # someone writing several despairing lines in a row is one person to answer.
        if kind in TOLD_KINDS and await self.alerts.ask_again(room_id, membership.member, tell,
                                                              why=kind, seq=seq):
            return
        await self.alerts.raise_alert(
            kind=kind, room_id=room_id, member=membership.member, name=membership.name,
            seq=seq, tell=tell)
        metrics.CRISIS_ALERTS.inc()

    async def _retry_person_alert(self, client: Client, room_id: str, membership: Membership,
                                  kind: str, seq: int | None) -> None:
        try:
            await retry_with_backoff(lambda: self._raise_person_alert(
                client, room_id, membership, kind, seq), (DatabaseError, OSError))
            log.info("alert raised after a retry", extra={"kind": kind})
        except TimeoutError:
            log.error("alert never stored", extra={"kind": kind})
        except BackendUnavailable:
            pass  # stored; the inbox announces it when the broker is back

    async def close(self) -> None:
        for retry in list(self._retries):
            retry.cancel()

    async def harm_alert(self, room: RoomRecord, membership: Membership,
                         verdict: Verdict) -> None:
        """Someone in the room was told to kill or harm themselves: the message is refused,
        and the facilitators are alerted, since the person it was aimed at may need them.
        The writer is not shown the crisis resources for it (they are not the one at risk)."""
        if verdict.harm_alert:
            await self.alerts.raise_alert(kind=HARM_TO_OTHERS, room_id=room.id,
                                          member=membership.member, name=membership.name)

    async def after_verdict(self, client: Client, room: RoomRecord, membership: Membership,
                            verdict: Verdict, confirmed: bool, seq: int | None = None) -> None:
        """Resources and an alert at once, for a message that is not posted as new (an edit,
        or one refused, held or waiting for a confirmation)."""
        if self.new_crisis(verdict, confirmed):
            await self.show_resources(client, room)
            await self.crisis_alert(client, room, membership, seq)
        await self.harm_alert(room, membership, verdict)

    async def hold_message(self, room: RoomRecord, membership: Membership, text: str,
                           reply_to: int | None, reason: str) -> dict[str, Any]:
        """Keep a message for a facilitator to decide; tell the room's staff at once."""
        held = await self.store.hold(room_id=room.id, member=membership.member,
                                     name=membership.name, text=text, reply_to=reply_to,
                                     reason=reason)
        # Every signed-in facilitator of the room and the admins, joined or not.
        await self._publish({"kind": "staff_alert", "room": room.id,
                             "frame": {"type": "held_message", "room": room.id, "held": held}})
        return held

    async def _publish(self, event: dict[str, Any]) -> None:
        await self.broker.publish_control(msgspec.json.encode(event))
