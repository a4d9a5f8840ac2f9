"""One-to-one peer support: a queue to the next free supporter, and the private conversations.

The queue, availability and assignments live in a QueueBackend (memory or Redis, see
chatserver/one_to_one_backend.py); the rules (order, estimates, hours, statistics) in
chatserver/queueing.py. Frames for a person cross processes as control events addressed by
identity ("staff:<account>" for supporters), so whichever process holds their socket delivers.
Conversation texts are never written to the database: they live in the backend only while the
conversation lasts (so a transfer keeps it) and are dropped when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any

from chatserver.broker.base import Broker
from chatserver.broker.errors import BrokerError
from chatserver.broker.queue import FULL, Conversation, QueueBackend, Request
from chatserver.core.alerts import ONE_TO_ONE_CRISIS, AlertInbox
from chatserver.core.crisis import CrisisResources, resources_frame
from chatserver.core.hub import Client
from chatserver.core.identities import Identities
from chatserver.core.loads import Coalesced
from chatserver.core.ports import ControlRoute, FrameHandler, FrameRoute, RoomAccess
from chatserver.domain import queueing
from chatserver.domain.errors import BackendUnavailable, ErrorCode, ProtocolError
from chatserver.domain.protocol import (
    OneToOneFrame,
    QueueLeave,
    QueueRequest,
    QueueResume,
    SupportAvailable,
    SupportTake,
    encode,
    now_ms,
)
from chatserver.features.one_to_one.absence import SupporterAbsence
from chatserver.features.one_to_one.conversations import Conversations
from chatserver.features.one_to_one.frames import (
    backend_errors,
    public_request,
    status_frame,
)
from chatserver.features.one_to_one.settings import SupportSettings
from chatserver.storage.errors import DatabaseError
from chatserver.storage.moderation import ModerationStore
from chatserver.storage.one_to_one import OneToOneStore
from chatserver.storage.staff import StaffStore
from chatserver.storage.store import Store

log = logging.getLogger("chatserver.one_to_one")

# The participant's first messages are screened for crisis language (issue #5); later ones
# too, since a crisis can surface at any time, but only the first ones change the order.
FIRST_MESSAGES = 3


class _Supporter:
    __slots__ = ("account", "auto", "capacity", "clients", "name")

    def __init__(self, account: str, name: str) -> None:
        self.account = account
        self.name = name
        self.capacity = 0
        self.auto = False
        self.clients: dict[int, Client] = {}


class OneToOne:
    def __init__(self, rooms: RoomAccess, backend: QueueBackend, *, process_key: str,
                 store: Store, staff: StaffStore, crisis: CrisisResources,
                 alerts: AlertInbox, identities: Identities,
                 moderation: ModerationStore, broker: Broker) -> None:
        self.rooms = rooms
        self.backend = backend
        self.store = store
        self.stats = OneToOneStore(store)
        self.config = SupportSettings(store)
        self.staff = staff
        self.crisis = crisis
        self.alerts = alerts
        self.process = process_key
        self.conversations = Conversations(
            rooms, backend, process_key=process_key, config=self.config, crisis=crisis,
            stats=self.stats, staff=staff, alerts=alerts, identities=identities,
            moderation=moderation, broker=broker, store=store)
        # This process's sockets: waiting participants by request, supporters by account.
        self.waiting: dict[str, dict[int, Client]] = {}
        self.request_of: dict[int, str] = {}
        self.supporters: dict[str, _Supporter] = {}
        self._last_status: dict[int, str] = {}
        # Requests whose last socket here went away: kept until this (monotonic) deadline, so
        # a participant who reconnects (`queue_resume`) keeps their place.
        self._orphans: dict[str, float] = {}
        # Supporters whose consoles went away: their people told, then handed back.
        self.absence = SupporterAbsence(rooms, backend, crisis=crisis,
                                        conversations=self.conversations,
                                        changed=self._changed)
        self._recheck_rights = False  # a right taken away could not be acted on yet
        self._refresh = Coalesced(self._refresh_now)
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None

    # Life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._loop = asyncio.create_task(self._heartbeat(), name="one-to-one-heartbeat")

    async def close(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        await self._refresh.close()
        try:
            # A clean stop (a deploy) ends no conversation: they wait, bound to no process, for
            # their supporters' consoles, closed with 1012, to come back on another process
            # (Conversations.supporter_back), as long as for a console gone while its process
            # lives (SupporterAbsence.parked). The people waiting here reconnect elsewhere too
            # and claim their places with queue_resume, and another process's sweep drops the
            # places nobody claimed after the grace time.
            settings, now = self.rooms.settings, time.time()
            await self._swept(*await self.backend.drop_process(
                self.process, now + settings.queue_reattach_seconds,
                park=(now + settings.handler_gone_seconds,
                      now + settings.supporter_requeue_seconds)))
        except (BackendUnavailable, DatabaseError, OSError, BrokerError) as exc:
            log.warning("one-to-one hand-back failed", extra={"error": type(exc).__name__})
        await self.backend.close()

    async def _heartbeat(self) -> None:
        settings = self.rooms.settings
        while True:
            try:
                now = time.time()
                await self._swept(*await self.backend.heartbeat(
                    self.process, now + settings.presence_ttl_seconds, now))
                await self._expire_orphans()
                await self.absence.tell_if_supporters_gone()
                await self.absence.parked(now)
                await self.conversations.person.tell_if_gone()
                if self._recheck_rights:
                    await self._drop_revoked()
                # Also what no event announces (a supporter's process died, the opening hours
                # ended); only what changed is sent.
                if self.waiting or self.supporters:
                    self._schedule_refresh()
            except (BackendUnavailable, DatabaseError, OSError, BrokerError) as exc:
                log.warning("one-to-one heartbeat failed", extra={"error": type(exc).__name__})
            except Exception:
                log.exception("one-to-one heartbeat crashed")
            await asyncio.sleep(settings.heartbeat_seconds)

    async def _expire_orphans(self) -> None:
        """Participants who did not come back in time have left the queue. Before removing,
        ask every process: one where the person still has a socket (another tab) claims the
        request, and then it stays."""
        now = time.monotonic()
        expired = [r for r, deadline in self._orphans.items() if deadline <= now]
        if not expired:
            return
        for request_id in expired:
            del self._orphans[request_id]
            await self.rooms.announce(
                {"kind": "oo_hold", "request": request_id})
        await asyncio.sleep(0.5)
        holders = {r["id"]: r["process"] for r in await self.backend.queued()}
        for request_id in expired:
            if holders.get(request_id) != self.process or self.waiting.get(request_id):
                continue  # taken, claimed elsewhere, or back here meanwhile
            request = await self.backend.remove(request_id)
            if request is not None:
                if not request.get("returned"):  # a returned one was counted when served
                    await self._record(request, served=False)
                await self._changed()

    async def _swept(self, returned: list[Conversation], abandoned: list[Request]) -> None:
        await self.conversations.handed_back(returned)
        for request in abandoned:
            await self._record(request, served=False)
        if returned or abandoned:
            await self._changed()

    # Cross-process delivery ----------------------------------------------------------------

    async def _send(self, identities: list[str], frame: dict[str, Any]) -> None:
        await self.rooms.announce(
            {"kind": "oo_deliver", "to": identities, "frame": frame})

    async def _changed(self) -> None:
        await self.rooms.announce({"kind": "oo_changed"})

    def _deliver(self, event: dict[str, Any]) -> None:
        targets = set(event.get("to", []))
        text = encode(event["frame"])
        for client in self.rooms.local_clients():
            if client.identity is not None and client.identity.id in targets:
                client.offer(text)

    def _on_hold(self, event: dict[str, Any]) -> None:
        request_id = str(event["request"])
        if self.waiting.get(request_id):  # still waiting here: keep the place
            self._spawn(self._hold(request_id))

    def _on_settings(self, _event: dict[str, Any]) -> None:
        self.config.forget()
        self._spawn(self._drop_revoked())

    async def _drop_revoked(self) -> None:
        """Someone's one-to-one right was taken away: their consoles here stop getting the
        waiting list (topics, answers) and people, and are told; the conversations they took
        from the queue end and their people wait again (hand_back_revoked), and the crisis
        calls they took from the inbox are open again for the others
        (release_calls_of_revoked), consoles open or not. If the backend fails, the next
        heartbeat tries again."""
        self._recheck_rights = False
        try:
            for account, supporter in list(self.supporters.items()):
                clients = list(supporter.clients.values())
                if not clients or await self.config.is_supporter(clients[0]):
                    continue
                del self.supporters[account]
                for client in clients:
                    self._last_status.pop(client.id, None)
                    client.offer(encode({"type": "support_revoked"}))
                await self.backend.set_available(self.process, account, supporter.name, 0)
            if await self.conversations.hand_back_revoked():
                await self._changed()
            await self.conversations.release_calls_of_revoked()
        except (BackendUnavailable, DatabaseError, OSError, BrokerError) as exc:
            self._recheck_rights = True
            log.warning("one-to-one rights not checked", extra={"error": type(exc).__name__})
        self._schedule_refresh()

    async def _hold(self, request_id: str) -> None:
        try:
            await self.backend.claim(request_id, self.process)
        except (BackendUnavailable, OSError, BrokerError) as exc:
            log.warning("one-to-one hold failed", extra={"error": type(exc).__name__})

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _schedule_refresh(self) -> None:
        """Bursts of changes make one look at the queue, one at a time (Coalesced)."""
        self._refresh.schedule()

    async def _refresh_now(self) -> None:
        try:
            await self._auto_offer()
            await self.push_statuses()
        except (BackendUnavailable, DatabaseError, OSError, BrokerError) as exc:
            log.warning("one-to-one refresh failed", extra={"error": type(exc).__name__})
        except Exception:
            log.exception("one-to-one refresh crashed")

    async def push_statuses(self) -> None:
        """Tell each local waiting participant their place and wait; each local supporter
        the queue. Sent only when it changed."""
        queued = await self.backend.queued()
        ids = {r["id"] for r in queued}
        for gone in [r for r in self.waiting if r not in ids]:
            await self._forget_waiting(gone)  # taken (or left) meanwhile
        if not self.waiting and not self.supporters:
            return
        avail = await self.backend.availability()
        capacity = sum(a["capacity"] for a in avail.values())
        on_duty = sum(1 for a in avail.values() if a["capacity"] > 0)
        busy = sum(min(a["load"], a["capacity"]) for a in avail.values())
        service = queueing.mean_service_minutes(await self.backend.durations())
        opening = await self.config.opening()
        for position, request in enumerate(queued, start=1):
            clients = self.waiting.get(request["id"], {})
            if not clients:
                continue
            est = queueing.estimate_wait(position, capacity=capacity, busy=busy,
                                         service_minutes=service)
            frame = status_frame(request, est, opening, supporters=on_duty)
            for client in clients.values():
                self._offer_changed(client, frame)
        listing = {"type": "queue", "waiting": [public_request(r) for r in queued],
                   "supporters": len(avail), "capacity": capacity, "busy": busy}
        # Sent again when who waits changes, not as their waits grow (the console counts them).
        same = encode({**listing, "waiting": [{**w, "waited_s": 0} for w in listing["waiting"]]})
        for supporter in self.supporters.values():
            for client in supporter.clients.values():
                self._offer_changed(client, listing, same)

    def _offer_changed(self, client: Client, frame: dict[str, Any], same: str = "") -> None:
        text = encode(frame)
        if self._last_status.get(client.id) != (same or text):
            self._last_status[client.id] = same or text
            client.offer(text)

    async def available_supporters(self) -> list[dict[str, Any]]:
        """Who is available now (a capacity above 0) and how busy: for a handover."""
        avail = await self.backend.availability()
        return sorted(({"id": account, "name": a.get("name", ""), "capacity": a["capacity"],
                        "load": a["load"]} for account, a in avail.items()
                       if a["capacity"] > 0), key=lambda s: (s["name"], s["id"]))

    # Frames --------------------------------------------------------------------------------

    def frame_routes(self) -> Sequence[FrameRoute]:
        handlers: list[tuple[type[OneToOneFrame], FrameHandler]] = [
            (QueueRequest, self.request), (QueueLeave, self.leave),
            (QueueResume, self.resume_queue), (SupportAvailable, self.available),
            (SupportTake, self.take)]
        return [FrameRoute(frame, backend_errors(handler)) for frame, handler in handlers]

    def control_routes(self) -> Sequence[ControlRoute]:
        return [ControlRoute("oo_deliver", self._deliver),
                ControlRoute("oo_changed", lambda _: self._schedule_refresh()),
                ControlRoute("oo_hold", self._on_hold),
                ControlRoute("oo_person_ask", self.conversations.person.on_ask),
                ControlRoute("oo_rewait", lambda event: self.on_rewait(
                    str(event["identity"]), str(event["request"]), event.get("keeper"))),
                ControlRoute("oo_settings", self._on_settings),
                ControlRoute("staff_disabled", self._on_settings),  # same: hand their people back
                *(ControlRoute(kind, functools.partial(self._alert_to_supporters, kind))
                  for kind in ("alert_new", "alert_changed", "alert_escalated"))]

    def _alert_to_supporters(self, kind: str, event: dict[str, Any]) -> None:
        """Supporters on this process (admins have it from the core already) get alerts of
        no room (one-to-one requests in crisis); those on duty get every escalated alert.
        Off duty, an escalation of an alert of no room is a change like any other (as for a
        room's staff in the core): it may be one untaken in the same change, which their
        console still shows as taken."""
        alert = event["alert"]
        roomless = alert.get("room") is None
        if kind != "alert_escalated" and not roomless:
            return
        text = encode(AlertInbox.frame(kind, event))
        changed = encode({"type": "alert_changed", "alert": alert})
        for supporter in self.supporters.values():
            off_duty = kind == "alert_escalated" and supporter.capacity <= 0
            if off_duty and not roomless:
                continue
            for client in supporter.clients.values():
                if client.staff is not None and client.staff.role != "admin":
                    client.offer(changed if off_duty else text)

    async def request(self, client: Client, frame: QueueRequest) -> None:
        assert client.identity is not None
        if client.staff is not None:
            raise ProtocolError(ErrorCode.FORBIDDEN)  # staff support; they do not queue
        earlier = self.request_of.get(client.id)
        if earlier is not None:
            if any(r["id"] == earlier for r in await self.backend.queued()):
                raise ProtocolError(ErrorCode.ALREADY_QUEUED)
            await self._forget_waiting(earlier)  # taken meanwhile: they may ask again
        if await self.stats.banned(client.identity.id, datetime.now(UTC)):
            raise ProtocolError(ErrorCode.BANNED)
        mine = next((r for r in await self.backend.queued()
                     if r["identity"] == client.identity.id), None)
        if mine is not None:  # already waiting (another tab, a reload): one place, not two
            await self.conversations.rewait(client, mine, frame.id)
            return
        resources = await self.crisis.current()
        opening = await self.config.opening()
        if not opening.open:
            client.offer(encode(resources_frame("", resources)))
            raise ProtocolError(ErrorCode.QUEUE_CLOSED, reason=(
                opening.next_open.isoformat() if opening.next_open else None))
        questions = (await self.config.current()).get("questions", [])
        try:
            answers = queueing.check_answers(questions, dict(frame.answers))
        except queueing.AnswersError as exc:
            raise ProtocolError(ErrorCode.INVALID_ANSWERS, reason=str(exc)) from None
        topic = frame.topic.strip() if frame.topic and frame.topic.strip() else None
        crisis = queueing.is_crisis(questions, topic, answers)
        request: Request = {"id": uuid.uuid4().hex, "identity": client.identity.id,
                            "lang": client.lang, "topic": topic, "answers": answers,
                            "crisis": crisis, "arrived": now_ms(),
                            "band": queueing.band_of(crisis), "process": self.process}
        if crisis:  # stored for every supporter and admin to see, and escalated if nobody acts
            alert = await self.alerts.raise_alert(kind=ONE_TO_ONE_CRISIS, room_id=None)
            # Taking the request takes the alert, and the conversation's end resolves it.
            request["crisis_alert"] = alert.id
        await self.backend.enqueue(request)
        self.request_of[client.id] = request["id"]
        self.waiting.setdefault(request["id"], {})[client.id] = client
        client.offer(encode({"type": "queued", "id": frame.id, "request": request["id"],
                             "crisis": crisis}))
        # While waiting: the crisis resources, always.
        client.offer(encode(resources_frame("", resources)))
        await self._changed()

    async def leave(self, client: Client, frame: QueueLeave) -> None:
        request_id = self.request_of.get(client.id)
        if request_id is None:
            raise ProtocolError(ErrorCode.NOT_QUEUED)
        await self._forget_waiting(request_id)
        request = await self.backend.remove(request_id)
        if request is not None:
            await self._record(request, served=False)
        client.offer(encode({"type": "queue_left", "id": frame.id, "request": request_id}))
        await self._changed()

    async def resume_queue(self, client: Client, frame: QueueResume) -> None:
        """Wait again, in the same place, for a request this person made (from any process)."""
        assert client.identity is not None
        request_id = frame.request
        if client.staff is not None:
            raise ProtocolError(ErrorCode.FORBIDDEN)
        request = next((r for r in await self.backend.queued()
                        if r["id"] == request_id and r["identity"] == client.identity.id), None)
        if request is None:
            # Taken while their connection was down (conv_started went nowhere): the
            # conversation, not "your place was lost" while a supporter waits for them.
            conv = await self.backend.conversation_of_request(request_id)
            if conv is not None and conv["request"]["identity"] == client.identity.id:
                client.offer(encode(await self.conversations.resumed(conv, "participant",
                                                                     frame.id)))
                await self.conversations.person.back(conv)
                return
            raise ProtocolError(ErrorCode.NOT_QUEUED)  # expired, ended, or not theirs
        await self.conversations.rewait(client, request, frame.id)

    async def _forget_waiting(self, request_id: str) -> None:
        for client_id in self.waiting.pop(request_id, {}):
            self.request_of.pop(client_id, None)
            self._last_status.pop(client_id, None)

    async def _supporter(self, client: Client) -> _Supporter:
        if not await self.config.is_supporter(client):
            raise ProtocolError(ErrorCode.FORBIDDEN)
        assert client.staff is not None
        supporter = self.supporters.get(client.staff.id)
        if supporter is None:
            raise ProtocolError(ErrorCode.NOT_AVAILABLE)
        return supporter

    async def available(self, client: Client, frame: SupportAvailable) -> None:
        if not await self.config.is_supporter(client):
            await self.conversations.revoked_while_away(client)
            raise ProtocolError(ErrorCode.FORBIDDEN)
        account = client.staff
        assert account is not None
        supporter = self.supporters.get(account.id)
        if supporter is None:
            supporter = self.supporters[account.id] = _Supporter(account.id,
                                                                 account.display_name)
        supporter.clients[client.id] = client
        supporter.capacity, supporter.auto = frame.capacity, frame.auto
        await self.backend.set_available(self.process, account.id, account.display_name,
                                         frame.capacity)
        self._last_status.pop(client.id, None)
        # Conversations still theirs (a reloaded console, another tab): each again, with
        # the history so far, to this socket only. Their ids in the status, and why each of the
        # last day's others ended, let a console that was away say at once which ended and why.
        convs = await self.backend.conversations_of(account.id)
        client.offer(encode({"type": "support_status", "id": frame.id,
                             "capacity": frame.capacity, "auto": frame.auto,
                             "convs": [conv["id"] for conv in convs],
                             "ended": await self.backend.endings.of(account.id)}))
        for conv in convs:
            client.offer(encode(await self.conversations.resumed(conv, "supporter")))
            await self.conversations.supporter_back(conv)
        await self._changed()

    async def take(self, client: Client, frame: SupportTake) -> None:
        supporter = await self._supporter(client)
        if supporter.capacity <= 0:
            raise ProtocolError(ErrorCode.NOT_AVAILABLE)
        conv = await self._assign(supporter, frame.request)
        if conv is None:
            raise ProtocolError(ErrorCode.QUEUE_EMPTY)
        if isinstance(conv, str):
            raise ProtocolError(ErrorCode.AT_CAPACITY)
        client.offer(encode({"type": "taken", "id": frame.id, "conv": conv["id"]}))

    async def _assign(self, supporter: _Supporter,
                      request_id: str | None) -> Conversation | str | None:
        conv = await self.backend.take(supporter.account, supporter.name, supporter.capacity,
                                       self.process, uuid.uuid4().hex, now_ms(), request_id)
        if conv is None or conv == FULL:
            return conv
        assert isinstance(conv, dict)
        request = conv["request"]
        if not request.get("returned"):
            await self._record(request, served=True,
                               wait_s=(conv["started"] - request["arrived"]) / 1000)
        await self.conversations.begin(conv)
        if request.get("crisis_alert"):  # someone is with the person: it does not escalate
            await self.alerts.handled_elsewhere(request["crisis_alert"], supporter.account,
                                                supporter.name)
        await self._changed()
        return conv

    async def _auto_offer(self) -> None:
        """Supporters here who asked to be offered people get the next one when a slot is
        free (the backend's take is atomic, so two processes never give one person twice)."""
        for supporter in list(self.supporters.values()):
            while supporter.auto and supporter.capacity > 0:
                got = await self._assign(supporter, None)
                if got is None or got == FULL:
                    break

    # Endings -------------------------------------------------------------------------------

    def on_rewait(self, identity: str, request_id: str, keeper: str | None = None) -> None:
        """The person's sockets here wait for the request again. After a hand-back
        (``keeper``: the process that claimed the place), a process where they have a page
        holds the place; if they have none here, the keeper gives them the grace of a page
        that went away (QUEUE_REATTACH_SECONDS), then they leave the queue unless a page of
        theirs is back (anywhere: ``_expire_orphans`` asks every process first)."""
        self._orphans.pop(request_id, None)
        here = False
        for client in self.rooms.local_clients():
            if client.identity is not None and client.identity.id == identity:
                here = True
                self.request_of[client.id] = request_id
                self.waiting.setdefault(request_id, {})[client.id] = client
                self._last_status.pop(client.id, None)
        if here and keeper is not None and keeper != self.process:
            self._spawn(self._hold(request_id))
        elif not here and keeper == self.process:
            self._orphans[request_id] = (time.monotonic()
                                         + self.rooms.settings.queue_reattach_seconds)
        self._schedule_refresh()

    async def _record(self, request: Request, *, served: bool,
                      wait_s: float | None = None) -> None:
        arrived = queueing.utc_from_ms(request["arrived"])
        try:
            await self.stats.record(arrived.date(), queueing.Outcome(
                queueing.hour_of_week(arrived), wait_s, served, bool(request["crisis"])))
        except DatabaseError as exc:  # statistics must never cost anyone their conversation
            log.warning("one-to-one statistics not recorded",
                        extra={"error": type(exc).__name__})

    async def disconnect(self, client: Client) -> None:
        """A waiting participant who goes away keeps their place for QUEUE_REATTACH_SECONDS,
        then leaves the queue (counted as abandoned); a supporter's last socket going away
        makes them unavailable."""
        self._last_status.pop(client.id, None)
        self.conversations.person.left(client)
        request_id = self.request_of.pop(client.id, None)
        if request_id is not None:
            clients = self.waiting.get(request_id, {})
            clients.pop(client.id, None)
            if not clients:
                # Not gone yet: a phone that changed networks comes back with queue_resume.
                self.waiting.pop(request_id, None)
                self._orphans[request_id] = (time.monotonic()
                                             + self.rooms.settings.queue_reattach_seconds)
        if client.staff is not None:
            account = client.staff.id
            if not any(other is not client and other.staff is not None
                       and other.staff.id == account for other in self.rooms.local_clients()):
                self.absence.left(account)
            supporter = self.supporters.get(client.staff.id)
            if supporter is not None:
                supporter.clients.pop(client.id, None)
                if not supporter.clients:
                    del self.supporters[client.staff.id]
                    await self.backend.set_available(self.process, supporter.account,
                                                     supporter.name, 0)
                    await self._changed()
