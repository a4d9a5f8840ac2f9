"""The shared alert inbox: someone may need help, and every staff member who may see the room
knows it, on every process, whether or not they have joined the room, and knows whether
someone is already handling it.

An alert is stored first (so a reloaded console, a second facilitator and an admin who signs in
later all see it), then announced to every process, each of which offers it to its signed-in
staff connections allowed to see the room. The person it is about is told honestly what happens:
that nobody who could see it is online (and that the crisis lines answer now), that a
facilitator has been told, and, once one acknowledges, that a facilitator has seen it. An alert
nobody acknowledges within ALERT_ESCALATE_SECONDS goes to every admin and every on-duty
one-to-one supporter. An alert whose handler has been offline (no signed-in connection on any
process) for HANDLER_GONE_SECONDS without closing it is untaken again: nobody is left
believing it is handled (that clock is core/alert_escalation.py). An alert stored while the
broker was away is announced as soon as it is back (and every process offers its staff what
they may have missed when its subscription returns), not only when it escalates. "I need help
now" pressed again, or crisis language written again, while the person's call is open is
announced again as that call (at most every AGAIN_SECONDS), never raised as a second alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from chatserver.broker.base import Broker
from chatserver.core import metrics
from chatserver.core.alert_escalation import AlertEscalation
from chatserver.core.hub import Client, Hub
from chatserver.core.open_calls import OpenCalls
from chatserver.core.presence import Presence, any_sees_room
from chatserver.core.retry import retry_with_backoff as retry_with_backoff  # safety.py uses it
from chatserver.core.session_gate import SessionGate
from chatserver.domain.config import Settings
from chatserver.domain.errors import BackendUnavailable, ErrorCode, ProtocolError
from chatserver.domain.protocol import encode, now_ms
from chatserver.storage.alerts import GONE, OPEN, REQUEUED, RESOLVED, AlertRecord, AlertStore
from chatserver.storage.errors import DatabaseError
from chatserver.storage.staff import AccountRecord
from moderation import permissions
from moderation.permissions import Action
from moderation.types import Role

log = logging.getLogger("chatserver.alerts")

# The kinds of alert; the person it is about is told what happens for these.
HELP, CRISIS, REPORT, NO_FACILITATOR, ONE_TO_ONE_CRISIS, HARM_TO_OTHERS = (
    "help", "crisis", "report", "no_facilitator", "one_to_one_crisis", "harm_to_others")
TOLD_KINDS = frozenset({HELP, CRISIS})
# What the person is told of their help or crisis alert (`help_status`, docs/protocol.md).
PERSON_STATUSES = ("nobody_online", "notified", "seen", "unanswered", "released",
                   "released_nobody_online", "not_sent")
NOBODY_STATUSES = frozenset({"nobody_online", "released_nobody_online"})
OUTCOMES = frozenset({"supported", "referred", "emergency", "no_action", "unreachable"})
NOTE_CHARS = 500
# Resolved alerts stay in the inbox this long, so a shift sees what the last one handled.
RECENT = timedelta(hours=24)
# "Asks again" is said to staff at most this often per call (and state of it): someone may
# press many times in a row, or hold a key down, and a tone every time would be muted.
AGAIN_SECONDS = 10.0
# After "nobody is online", who is online is looked at again this many heartbeats later: a
# Redis back empty lists each process's staff again at its next heartbeat, and consoles
# closed with 1012 by a restart are back within seconds. Someone there by then is said.
RECHECK_HEARTBEATS = (1.5, 5.0)

MaySupport = Callable[[AccountRecord], Awaitable[bool]]


def actor(account: AccountRecord, *, supporter: bool = False) -> permissions.Actor:
    return permissions.Actor(Role(account.role), account.rooms, account.disabled,
                             one_to_one=supporter)


class AlertInbox:
    def __init__(self, settings: Settings, store: AlertStore, broker: Broker, hub: Hub,
                 presence: Presence, gate: SessionGate) -> None:
        self.settings = settings
        self.store = store
        self.broker = broker
        self.hub = hub
        self.presence = presence
        self.gate = gate
        # Whether an account may give one-to-one support (alerts of no room): the one-to-one
        # feature's settings know, and the wiring says so here.
        self.may_support: MaySupport = _nobody
        # The clock: escalates what nobody took, untakes what nobody can answer any more.
        self.escalation = AlertEscalation(settings, store, presence,
                                          announce=self._announce_loop_change,
                                          prepare=self._load_told)
        self._announcing: set[asyncio.Task[None]] = set()
        # (room, member) -> their latest unresolved help or crisis alert, kept from the alert
        # events every process gets, so a person back in the room can be told where it stands
        # without a database read for everyone else who joins (until it ends or ages out).
        self._told = OpenCalls(RECENT)
        self._told_loaded = False
        # (alert, state, why) -> when this process last said that the person asks again.
        self._said_again: dict[tuple[int, str, str], float] = {}
        # Alerts whose person heard that nobody is online, watched for someone coming.
        self._rechecking: set[int] = set()

    # Who may see and handle -------------------------------------------------------------

    async def may_see(self, account: AccountRecord, alert: AlertRecord) -> bool:
        if alert.room_id is None:
            return account.role == "admin" or (
                not account.disabled and await self.may_support(account))
        return permissions.may(actor(account), Action.VIEW_ALERTS, alert.room_id)

    async def may_handle(self, account: AccountRecord, alert: AlertRecord) -> bool:
        if alert.room_id is None:
            return await self.may_see(account, alert)
        return permissions.may(actor(account), Action.HANDLE_ALERT, alert.room_id)

    @staticmethod
    def sees_room(account: AccountRecord, room: str | None) -> bool:
        """Synchronous check for delivery (no settings lookup): a room's staff and admins."""
        if account.disabled:
            return False
        if room is None:
            return account.role == "admin"
        return account.role == "admin" or room in account.rooms

    # Raising ---------------------------------------------------------------------------------

    async def raise_alert(self, *, kind: str, room_id: str | None, member: str | None = None,
                          name: str | None = None, seq: int | None = None,
                          session_id: int | None = None, report_id: int | None = None,
                          tell: Client | None = None,
                          extra: dict[str, Any] | None = None) -> AlertRecord:
        """Store an alert and announce it to every process. `tell`: the person's connection,
        told at once whether anyone who could see it is online."""
        alert = await self.store.add(room_id=room_id, kind=kind, member=member, name=name,
                                     seq=seq, session_id=session_id, report_id=report_id,
                                     now=datetime.now(UTC), messages=int(kind == CRISIS))
        if room_id is not None and kind in TOLD_KINDS:
            # A statistic: never a reason for the stored alert not to be announced.
            with contextlib.suppress(DatabaseError, OSError):
                await self.gate.count_alert(room_id)
        metrics.ALERTS.labels(kind).inc()
        try:
            await self._publish("alert_new", alert, extra)
        except BackendUnavailable:
            # Stored (a reloaded console lists it), but nobody was told: announce it as soon
            # as the broker is back rather than when it escalates.
            self._announce_when_back(alert.id, "alert_new", extra)
            raise
        if tell is not None and room_id is not None:
            status = await self._reach(room_id, "notified", "nobody_online")
            tell.offer(encode({"type": "help_status", "room": room_id, "status": status,
                               "alert": alert.id}))
            self._recheck_if_nobody(alert, status)
        return alert

    async def ask_again(self, room_id: str, member: str, tell: Client | None, *,
                        why: str = HELP, seq: int | None = None) -> bool:
        """"I need help now" pressed again, or crisis language written again, while the
        person's last call in the room (a help press or crisis language) is still open: no
        second alert. A second one would wait for someone to take it while a facilitator may
        already be with the person, escalate, and tell them that nobody answered. Instead
        the staff who see it (the one handling it too) hear that the person asks again, and
        why (`why`: a press, or crisis language; the room shows the message), and the person
        hears where their call stands. False if they have no call open.

        Crisis language is counted on the call, which then points at this message (``seq``):
        the facilitator who opens it goes to where the person is now, not to their first
        line. Staff not told "again" this time (AGAIN_SECONDS) get the call changed, quietly."""
        calls = await self.store.unresolved_of(room_id, member, sorted(TOLD_KINDS),
                                               datetime.now(UTC) - RECENT)
        if not calls:
            return False
        # One a facilitator has taken comes first: they are the one to hear it, and the
        # person hears "seen" rather than that someone was told.
        alert = next((a for a in calls if a.state != OPEN), calls[0])
        metrics.ALERTS_ASKED_AGAIN.inc()
        folded = await self.store.fold_message(alert.id, seq) if why == CRISIS else None
        alert = folded or alert
        if self._say_again_now(alert, why):
            again = {"again": True, "why": why}
            try:
                await self._publish("alert_new", alert, again)
            except BackendUnavailable:
                self._announce_when_back(alert.id, "alert_new", again)
                raise
        elif folded is not None:
            await self._publish_change(folded)
        if tell is not None:
            status = await self._standing(alert)
            tell.offer(encode({"type": "help_status", "room": room_id, "status": status,
                               "alert": alert.id}))
            self._recheck_if_nobody(alert, status)
        return True

    def _say_again_now(self, alert: AlertRecord, why: str) -> bool:
        """Whether staff hear "asks again" for this press or message: not within
        AGAIN_SECONDS of the last time for the same call in the same state (taken since is
        news) for the same reason (crisis language after a press is news)."""
        now = time.monotonic()
        key = (alert.id, alert.state, why)
        if now - self._said_again.get(key, -AGAIN_SECONDS) < AGAIN_SECONDS:
            return False
        if len(self._said_again) >= 1000:  # a bound: the old ones no longer hold anything back
            self._said_again = {k: t for k, t in self._said_again.items()
                                if now - t < AGAIN_SECONDS}
        self._said_again[key] = now
        return True

    def _background(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Work that outlives the caller (a retry, a later look): kept until done, and
        cancelled when the inbox closes."""
        task = asyncio.create_task(work, name=name)
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    def _announce_when_back(self, alert_id: int, kind: str,
                            extra: dict[str, Any] | None = None) -> None:
        """A stored alert (`alert_new`) or change of one (`alert_changed`) that the broker did
        not take: announced as soon as it does, as the alert then stands."""
        self._background(self._announce_retried(alert_id, kind, extra), "alert-announce")

    async def _announce_retried(self, alert_id: int, kind: str,
                                extra: dict[str, Any] | None) -> None:
        async def announce() -> AlertRecord | None:
            alert = await self.store.get(alert_id)
            again = bool((extra or {}).get("again"))  # asked again: taken is still news
            if alert is None or (kind == "alert_new" and alert.state != OPEN
                                 and (not again or alert.state == RESOLVED)):
                return None  # taken from a reloaded console meanwhile: that change told it
            await self._publish(kind, alert, extra)
            return alert

        try:
            alert = await retry_with_backoff(announce, (BackendUnavailable, DatabaseError,
                                                        OSError))
        except TimeoutError:
            log.error("alert never announced", extra={"alert": alert_id})
            return
        if alert is None:
            return
        log.info("alert announced after a retry", extra={"kind": alert.kind})
        try:
            await self._tell_person_after_retry(alert, kind)
        except (BackendUnavailable, OSError) as exc:  # they keep what they were told
            log.warning("person not told", extra={"error": type(exc).__name__})

    async def _tell_person_after_retry(self, alert: AlertRecord, kind: str) -> None:
        """What the person would have heard had the broker taken it at once: whether anyone
        could see their new alert, "seen" for an acknowledgement still standing, "unanswered"
        for an escalation, "released..." for an untaking (as the call stands now)."""
        if alert.kind not in TOLD_KINDS or alert.room_id is None or alert.state == RESOLVED:
            return
        if kind == "alert_changed" and alert.state == OPEN and not alert.releases:
            return  # no news for the person
        status = await self._standing(alert)  # a call asked again may be taken already
        if status in NOBODY_STATUSES:
            # A Redis back empty lists each process's staff again on its next heartbeat:
            # never say "nobody" before they had the time to be listed.
            await asyncio.sleep(self.settings.heartbeat_seconds * 1.5)
            status = await self._standing(alert)
        await self._tell_person(alert, status)
        self._recheck_if_nobody(alert, status)

    def _tell_when_back(self, alert_id: int) -> None:
        """The change was announced but the person could not be told: tell them where their
        call stands once the broker takes it."""
        async def tell() -> None:
            alert = await self.store.get(alert_id)
            if alert is not None:
                await self._tell_person_after_retry(alert, "alert_escalated")

        async def retried() -> None:
            try:
                await retry_with_backoff(tell, (BackendUnavailable, DatabaseError, OSError))
            except TimeoutError:
                log.error("person never told", extra={"alert": alert_id})

        self._background(retried(), "alert-tell")

    async def missed_events(self) -> list[tuple[str, dict[str, Any]]]:
        """After this process's broker subscription was lost and is back: the alerts its
        signed-in staff may have missed meanwhile (unresolved, or resolved lately), as control
        events to deliver here only. An open one is `alert_new` (a console that knows it
        stays quiet), an escalated one is announced as escalated, a taken one as changed."""
        if not any(c.staff is not None for c in self.hub.connected.values()):
            return []
        events = []
        for alert in await self.store.visible(None, roomless=True,
                                              resolved_since=datetime.now(UTC) - RECENT):
            kind = ("alert_changed" if alert.state != OPEN else
                    "alert_escalated" if alert.escalated else "alert_new")
            events.append((kind, {"kind": kind, "alert": alert.public(), "extra": {}}))
        return events

    # The person back ---------------------------------------------------------------------

    def track(self, event: dict[str, Any]) -> None:
        """Keep `_told` from an alert event (new, changed, escalated; live or sent again after
        an outage)."""
        alert = event["alert"]
        if alert.get("kind") not in TOLD_KINDS or not alert.get("room") or not alert.get("member"):
            return
        self._told.note(alert["room"], alert["member"], alert["id"],
                        datetime.fromisoformat(alert["created_at"]),
                        resolved=alert.get("state") == RESOLVED, now=datetime.now(UTC))

    async def _load_told(self) -> None:
        """`_told` from the store, once: at the clock's first tick (each tick until done)."""
        if self._told_loaded:
            return
        for alert in await self.store.visible(None, roomless=False,
                                              resolved_since=datetime.now(UTC)):
            self.track({"alert": alert.public()})
        self._told_loaded = True

    async def open_calls(self) -> dict[tuple[str, str], int]:
        """(room, member) -> their latest unresolved help or crisis alert, on this process."""
        await self._load_told()
        return self._told.open(datetime.now(UTC))

    async def status_on_return(self, room_id: str, member: str) -> dict[str, Any] | None:
        """Where the person's latest help or crisis alert in the room stands, as the
        `help_status` they would have heard had they been connected (a phone that lost its
        connection, a reloaded page): above all, a facilitator who saw it and then had to leave
        must not still look like someone who is there. None if they have none open."""
        alert_id = self._told.get(room_id, member, datetime.now(UTC))
        if alert_id is None:
            return None
        alert = await self.store.get(alert_id)
        if alert is None or alert.state == RESOLVED or \
                alert.created_at < datetime.now(UTC) - RECENT:
            self._told.forget(room_id, member)
            return None
        status = await self._standing(alert)
        self._recheck_if_nobody(alert, status)
        return {"type": "help_status", "room": room_id, "status": status, "alert": alert.id}

    async def _standing(self, alert: AlertRecord) -> str:
        """What the person is told of an unresolved help or crisis alert of theirs now."""
        assert alert.room_id is not None
        if alert.state != OPEN:
            return "seen"
        if alert.releases:
            return await self._reach(alert.room_id, "released", "released_nobody_online")
        if alert.escalated:
            return "unanswered"
        return await self._reach(alert.room_id, "notified", "nobody_online")

    def _recheck_if_nobody(self, alert: AlertRecord, status: str) -> None:
        """The person heard that nobody is online: true then, but staff may not have been
        listed yet (a Redis back empty, consoles reconnecting after a restart). If someone
        is there a few heartbeats later, the person hears it (once, on any process)."""
        if status not in NOBODY_STATUSES or alert.id in self._rechecking:
            return
        self._rechecking.add(alert.id)
        self._background(self._recheck(alert.id), "alert-recheck")

    async def _recheck(self, alert_id: int) -> None:
        try:
            waited = 0.0
            for beats in RECHECK_HEARTBEATS:
                await asyncio.sleep(beats * self.settings.heartbeat_seconds - waited)
                waited = beats * self.settings.heartbeat_seconds
                alert = await self.store.get(alert_id)
                if alert is None or alert.state != OPEN:
                    return  # taken ("seen" was said) or resolved
                status = await self._standing(alert)
                if status in ("notified", "released"):
                    await self._tell_person(alert, status)
                if status not in NOBODY_STATUSES:
                    return  # said, or "unanswered" was (it escalated)
        except (BackendUnavailable, DatabaseError, OSError) as exc:
            log.warning("nobody-online status not checked again",
                        extra={"alert": alert_id, "error": type(exc).__name__})
        finally:
            self._rechecking.discard(alert_id)

    def staff_arrived(self, account: AccountRecord) -> None:
        """A staff connection said hello (a console opened, back after its process restarted):
        everyone whose open, untaken call in a room it may see stands at ``notified`` or
        ``released`` now hears it, however long after they heard that nobody was there (the
        recheck only looks a few heartbeats on, and dies with a stopping process). A page
        shows nothing new for what it already said. Background: never delays the hello."""
        async def tell() -> None:
            try:
                for (room, _), alert_id in (await self.open_calls()).items():
                    alert = await self.store.get(alert_id) if self.sees_room(account, room) \
                        else None
                    if alert is not None and alert.state == OPEN and \
                            (status := await self._standing(alert)) in ("notified", "released"):
                        await self._tell_person(alert, status)
            except (BackendUnavailable, DatabaseError, OSError) as exc:
                log.warning("arrival not told", extra={"error": type(exc).__name__})
        self._background(tell(), "alert-staff-arrived")

    async def _reach(self, room_id: str, someone: str, nobody: str) -> str:
        """``someone`` if a staff member who may see the room is online, else ``nobody``."""
        return someone if await self.staff_online(room_id) else nobody

    async def staff_online(self, room_id: str) -> bool:
        """Whether any staff member who may see the room has a signed-in connection, on any
        process (the staff console counts even if they have not joined the room)."""
        return any_sees_room(await self.presence.staff_online(), room_id)

    # Handling ------------------------------------------------------------------------------

    async def _handleable(self, account: AccountRecord, alert_id: int) -> AlertRecord:
        alert = await self.store.get(alert_id)
        if alert is None or not await self.may_see(account, alert):
            raise ProtocolError(ErrorCode.ALERT_NOT_FOUND)  # says nothing of other rooms
        if not await self.may_handle(account, alert):
            raise ProtocolError(ErrorCode.FORBIDDEN)
        return alert

    async def acknowledge(self, account: AccountRecord, alert_id: int) -> AlertRecord:
        await self._handleable(account, alert_id)
        changed = await self.store.acknowledge(alert_id, account.id, account.display_name,
                                               datetime.now(UTC))
        if changed is None:
            raise ProtocolError(ErrorCode.ALERT_STATE)
        await self._after_acknowledged(changed)
        return changed

    async def resolve(self, account: AccountRecord, alert_id: int, outcome: str,
                      note: str | None) -> AlertRecord:
        if outcome not in OUTCOMES:
            raise ProtocolError(ErrorCode.INVALID_FRAME)
        note = (note or "").strip() or None
        if note is not None and len(note) > NOTE_CHARS:
            raise ProtocolError(ErrorCode.TEXT_TOO_LONG)
        before = await self._handleable(account, alert_id)
        changed = await self.store.resolve(alert_id, account.id, account.display_name, outcome,
                                           note, datetime.now(UTC))
        if changed is None:
            raise ProtocolError(ErrorCode.ALERT_STATE)
        if before.state == "open":
            await self._after_acknowledged(changed)
        else:
            await self._publish_change(changed)
        return changed

    async def _after_acknowledged(self, alert: AlertRecord) -> None:
        if await self._publish_change(alert):
            # The person learns that a facilitator has seen it; never who, and never who
            # reported anything.
            await self._tell_person(alert, "seen")

    async def _publish_change(self, alert: AlertRecord) -> bool:
        """Announce a stored change; with the broker away the one who made it is still
        answered (it is done), and the others and the person hear of it once it is back."""
        try:
            await self._publish("alert_changed", alert)
        except BackendUnavailable:
            self._announce_when_back(alert.id, "alert_changed")
            return False
        return True

    async def _tell_person(self, alert: AlertRecord, status: str) -> None:
        """A `help_status` to the person an alert is about (help and crisis alerts only),
        wherever they are connected."""
        if alert.kind in TOLD_KINDS and alert.room_id and alert.member:
            await self.broker.publish_control(msgspec.json.encode({
                "kind": "to_member", "room": alert.room_id, "member": alert.member,
                "frame": {"type": "help_status", "room": alert.room_id, "status": status,
                          "alert": alert.id}}))

    async def handled_elsewhere(self, alert_id: int, account_id: str, name: str,
                                outcome: str | None = None) -> None:
        """Taken (no ``outcome``) or resolved where the work was done (the reports list, the
        one-to-one queue): announced as any change, so it does not escalate as if nobody had
        looked. A failure here costs only the inbox's state, never the work itself."""
        now = datetime.now(UTC)
        try:
            changed = (await self.store.acknowledge(alert_id, account_id, name, now)
                       if outcome is None else
                       await self.store.resolve(alert_id, account_id, name, outcome, None, now))
            if changed is not None:
                await self._publish_change(changed)
        except (DatabaseError, OSError) as exc:
            log.warning("alert not settled", extra={"alert": alert_id,
                                                    "error": type(exc).__name__})

    async def conversation_opened(self, alert_id: int, conv: str) -> AlertRecord | None:
        changed = await self.store.set_conversation(alert_id, conv)
        if changed is not None:  # the conversation is open: a broker away delays only the news
            await self._publish_change(changed)
        return changed

    async def conversation_gone(self, alert_id: int, conv: str) -> AlertRecord | None:
        """The private conversation opened from the alert ended (by either side, or because
        its facilitator can no longer answer) while the call is not resolved: the alert no
        longer points at it, so every console offers to talk with the person again (the
        inbox offers that only to an alert with no conversation)."""
        changed = await self.store.conversation_gone(alert_id, conv)
        if changed is not None:
            await self._publish_change(changed)
        return changed

    async def visible_to(self, account: AccountRecord) -> list[AlertRecord]:
        """What a reloaded console lists: unresolved alerts and the last day's resolved ones
        of the rooms the account may see."""
        rooms = None if account.role == "admin" else sorted(account.rooms)
        roomless = account.role == "admin" or await self.may_support(account)
        return await self.store.visible(rooms, roomless=roomless,
                                        resolved_since=datetime.now(UTC) - RECENT)

    # Escalation (the clock: core/alert_escalation.py) ----------------------------------------

    def start(self) -> None:
        self.escalation.start()

    async def close(self) -> None:
        for task in list(self._announcing):
            task.cancel()
        await self.escalation.close()

    async def release(self, alert_id: int, account: str, why: str = GONE) -> bool:
        """Untake an alert ``account`` acknowledged (AlertEscalation.release); ``why``:
        RELEASE_REASONS."""
        return await self.escalation.release(alert_id, account, why=why)

    async def release_all_of(self, account: str) -> int:
        """Untake at once what a disabled account took (AlertEscalation.release_all_of)."""
        return await self.escalation.release_all_of(account)

    async def release_taken(self, alert_id: int, why: str = REQUEUED) -> bool:
        """Untake at once, whoever took it (AlertEscalation.release_taken)."""
        return await self.escalation.release_taken(alert_id, why)

    async def _announce_loop_change(self, kind: str, alert: AlertRecord, status: str) -> None:
        """Announce a change the escalation loop stored and tell the person ``status``. The
        change is committed, so nothing would ever say it again: with the broker away, staff
        and the person hear of it once it is back (as the alert then stands), and the loop
        goes on with the other alerts due."""
        try:
            await self._publish(kind, alert)
        except BackendUnavailable:
            self._announce_when_back(alert.id, kind)
            return
        try:
            await self._tell_person(alert, status)
        except BackendUnavailable:
            self._tell_when_back(alert.id)
            return
        self._recheck_if_nobody(alert, status)

    # Delivery (on every process) ----------------------------------------------------------

    async def _publish(self, kind: str, alert: AlertRecord,
                       extra: dict[str, Any] | None = None) -> None:
        await self.broker.publish_control(msgspec.json.encode(
            {"kind": kind, "alert": alert.public(), "extra": extra or {}}))

    @staticmethod
    def frame(kind: str, event: dict[str, Any]) -> dict[str, Any]:
        """The frame staff get for an alert control event."""
        alert = event["alert"]
        if kind == "alert_new":
            return {"type": "alert", "alert": alert, "room": alert["room"],
                    "why": alert["kind"], "member": alert["member"], "name": alert["name"],
                    "ts": now_ms(), **event.get("extra", {})}
        return {"type": "alert_escalated" if kind == "alert_escalated" else "alert_changed",
                "alert": alert}

    def deliver(self, kind: str, event: dict[str, Any]) -> None:
        """Offer an alert to this process's signed-in staff who may see it; an escalation
        also to every admin (the one-to-one feature reaches its on-duty supporters)."""
        alert = event["alert"]
        room = alert.get("room")
        text = encode(self.frame(kind, event))
        changed = encode({"type": "alert_changed", "alert": alert})
        for client in list(self.hub.connected.values()):
            staff = client.staff
            if staff is None or client.identity is None:
                continue
            if kind == "alert_escalated" and staff.role == "admin":
                client.offer(text)
            elif self.sees_room(staff, room):
                client.offer(changed if kind == "alert_escalated" else text)


async def _nobody(account: AccountRecord) -> bool:
    return False
