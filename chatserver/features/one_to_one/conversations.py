"""The private conversations of one-to-one support: a supporter and a participant, whether
taken from the queue or opened by a facilitator from an alert. Texts live only in the queue's
backend while the conversation lasts (so a handover keeps them) and are gone when it ends."""

from __future__ import annotations

import contextlib
import hmac
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from chatserver.broker.base import Broker
from chatserver.broker.errors import BrokerError
from chatserver.broker.queue import FULL, Conversation, QueueBackend, Request
from chatserver.core.alerts import CRISIS, HELP, AlertInbox, actor
from chatserver.core.crisis import CrisisResources
from chatserver.core.hub import Client
from chatserver.core.identities import Identities
from chatserver.core.ports import ControlRoute, FrameRoute, RoomAccess
from chatserver.domain import queueing
from chatserver.domain.errors import ErrorCode, ProtocolError
from chatserver.domain.protocol import (
    ConvBan,
    ConvEnd,
    ConvFeedback,
    ConvOpen,
    ConvResume,
    ConvSend,
    ConvTransfer,
    ConvWarn,
    encode,
    now_ms,
)
from chatserver.features.one_to_one.frames import (
    backend_errors,
    from_alert,
    public_request,
    staff_identity,
)
from chatserver.features.one_to_one.person import PersonAbsence
from chatserver.features.one_to_one.settings import SupportSettings
from chatserver.storage.alerts import REVOKED
from chatserver.storage.moderation import ModerationStore
from chatserver.storage.one_to_one import OneToOneStore
from chatserver.storage.staff import AccountRecord, StaffStore
from chatserver.storage.store import Store
from moderation import permissions
from moderation.filters import crisis_labels
from moderation.permissions import Action

log = logging.getLogger("chatserver.one_to_one")

# Feedback after a conversation: the key's purpose, and how long it may be given.
FEEDBACK_KEY = "oo-feedback"
FEEDBACK_SECONDS = 7 * 86_400


class Conversations:
    def __init__(self, rooms: RoomAccess, backend: QueueBackend, *, process_key: str,
                 config: SupportSettings, crisis: CrisisResources, stats: OneToOneStore,
                 staff: StaffStore, alerts: AlertInbox, identities: Identities,
                 moderation: ModerationStore, broker: Broker, store: Store) -> None:
        self.rooms = rooms
        self.backend = backend
        self.process = process_key
        self.config = config
        self.crisis = crisis
        self.stats = stats
        self.staff = staff
        self.alerts = alerts
        self.identities = identities
        self.moderation = moderation
        self.broker = broker
        self.store = store
        # The person's page gone: their supporter hears it (conv_person_away / _back).
        self.person = PersonAbsence(rooms, backend, broker)

    def frame_routes(self) -> Sequence[FrameRoute]:
        return [FrameRoute(frame, backend_errors(handler)) for frame, handler in (
            (ConvResume, self.resume_conversation), (ConvSend, self.send), (ConvEnd, self.end),
            (ConvTransfer, self.transfer), (ConvWarn, self.warn), (ConvBan, self.ban),
            (ConvOpen, self.open_from_alert), (ConvFeedback, self.feedback))]

    def control_routes(self) -> Sequence[ControlRoute]:
        return []

    async def _send(self, identities: list[str], frame: dict[str, Any]) -> None:
        await self.rooms.announce({"kind": "oo_deliver", "to": identities, "frame": frame})

    async def _changed(self) -> None:
        await self.rooms.announce({"kind": "oo_changed"})

    async def begin(self, conv: Conversation, handover: str | None = None,
                    frame_id: str | None = None) -> None:
        """Both sides get `conv_started` (the supporter's with `frame_id`, if it asked)."""
        request = conv["request"]
        await self._send([request["identity"]], {
            "type": "conv_started", "conv": conv["id"], "role": "participant",
            "name": conv["supporter_name"], **from_alert(request)})
        frame: dict[str, Any] = {"type": "conv_started", "conv": conv["id"], "role": "supporter",
                                 **public_request(request)}
        if frame_id is not None:
            frame["id"] = frame_id
        if handover is not None:
            frame["handover"] = handover
            frame["person_away"] = await self.person.is_away(conv)
            frame["history"] = [msgspec.json.decode(t)
                                for t in await self.backend.transcript(conv["id"])]
        await self._send([staff_identity(conv["supporter"])], frame)

    async def handed_back(self, convs: list[Conversation], *, reason: str | None = None) -> int:
        """Conversations the backend handed back atomically (a dead process's sweep, or
        parked ones whose supporter did not come back): one from an alert in a group was
        ended, and goes back to that group's facilitators; one from the queue was requeued,
        and its person is told. Returns how many were requeued."""
        requeued = 0
        for conv in convs:
            if conv["request"].get("alert") is not None:
                await self.ended_with_process(conv)
            else:
                await self.returned(conv, reason=reason)
                requeued += 1
        return requeued

    async def returned(self, conv: Conversation, *, reason: str | None = None) -> None:
        """The conversation ended for its supporter and the participant is back in the queue
        (the supporter's process died; ``reason`` ``supporter_gone``: they were gone too long;
        ``supporter_revoked``: they may no longer support): told, and their socket, on any
        process, waits for the request again. Nobody is with them now: the crisis alert their
        request raised is open again at once for every supporter and admin (not only once the
        one who took it looks gone), and the next supporter who takes them takes it."""
        request = conv["request"]
        if request.get("crisis_alert"):
            await self.alerts.release_taken(request["crisis_alert"])
        frame: dict[str, Any] = {"type": "conv_interrupted", "conv": conv["id"],
                                 "request": request["id"]}
        if reason is not None:
            frame["reason"] = reason
        await self._send([request["identity"]], frame)
        # The place is this process's to keep: if no page of the person's is anywhere, it
        # leaves the queue after the grace any waiting person's page gets (``keeper``).
        kept = await self.backend.claim(request["id"], self.process) is not None
        await self.rooms.announce(
            {"kind": "oo_rewait", "identity": request["identity"], "request": request["id"],
             **({"keeper": self.process} if kept else {})})
        if reason != "supporter_revoked":  # that one is told (and noted) by hand_back_revoked
            await self._noted(conv["supporter"], conv["id"], "gone")

    async def _ended_for(self, account: str, conv_id: str, by: str) -> None:
        """The supporter's consoles hear that the conversation ended, and why; kept for a
        console that has no socket now (``backend.endings``), to say it when it is back."""
        await self._send([staff_identity(account)],
                         {"type": "conv_ended", "conv": conv_id, "by": by})
        await self._noted(account, conv_id, by)

    async def _noted(self, account: str, conv_id: str, by: str) -> None:
        try:
            await self.backend.endings.note(account, conv_id, by)
        except (BrokerError, OSError) as exc:  # only a console's later wording is at stake
            log.warning("conversation ending not kept", extra={"error": type(exc).__name__})

    async def hand_back_revoked(self) -> int:
        """An admin took someone's one-to-one right away, or disabled their account: each
        conversation they took from the QUEUE ends for them (their consoles get ``conv_ended``
        ``by`` ``revoked``) and its person is back in the queue in their own band at their
        first arrival (ahead of anyone who came later), told so, for another supporter. A
        conversation opened from an alert rests on HANDLE_ALERT in that room, not on this
        right, and stays while the account may act; a disabled account's ends at once
        (``_end_disabled``). Every process runs this on the change whether or not a console is
        open; the backend's return and end are atomic, so exactly one tells each person.
        Returns how many were handed back or ended."""
        records: dict[str, AccountRecord | None] = {}
        allowed: dict[str, bool] = {}
        handed = 0
        for conv in await self.backend.conversations():
            account = conv["supporter"]
            if account not in records:
                found = records[account] = await self.staff.by_id(account)
                allowed[account] = found is not None and await self.config.may_support(found)
            record = records[account]
            if conv["request"].get("alert") is not None:
                if record is None or record.disabled:
                    handed += await self._end_disabled(conv)
                continue
            if allowed[account]:
                continue
            back = await self.backend.return_to_queue(conv["id"], conv["request"]["band"])
            if back is None:
                continue  # ended, or handed back by another process, meanwhile
            await self._ended_for(account, conv["id"], "revoked")
            await self.returned(back, reason="supporter_revoked")
            handed += 1
        return handed

    async def _end_disabled(self, conv: Conversation) -> int:
        """A conversation opened from an alert by an account now disabled: nobody can answer
        in it, so it ends at once (the person is told that the facilitator cannot continue,
        with the crisis lines and the feedback prompt, as at any end), and the alert, if that
        account had taken it, is untaken: the other staff see it again and the person hears
        whether anyone is there."""
        if not await self._end_from_alert(conv, "revoked"):
            return 0
        await self.alerts.release(conv["request"]["alert"], conv["supporter"], REVOKED)
        return 1

    async def end_abandoned(self, conv: Conversation) -> int:
        """A conversation opened from an alert whose facilitator has had no console anywhere
        for SUPPORTER_REQUEUE_SECONDS (their person was told at HANDLER_GONE_SECONDS that they
        are away): it ends, by "gone", and the person is NOT put in the one-to-one queue. They
        came from a group whose facilitators are the ones who may answer them (a queue
        supporter may not even write to them), and the queue may be closed or empty. As for
        a disabled account (``_end_disabled``), the call is open again for the group's
        facilitators, and the person hears where it stands now: untaken and the others told,
        untaken with nobody online (with the crisis lines), or seen by one who took it since."""
        if not await self._end_from_alert(conv, "gone"):
            return 0
        await self._back_to_group(conv)
        return 1

    async def ended_with_process(self, conv: Conversation) -> None:
        """A conversation opened from an alert whose facilitator's server process died, or
        stopped cleanly and they did not come back on another one in time: the sweep
        (``backend.heartbeat`` or ``backend.parked_expired``, atomic, so one process tells)
        ended it instead of putting the person in the one-to-one queue. As at
        SUPPORTER_REQUEUE_SECONDS (``end_abandoned``): the person gets ``conv_ended`` by
        "gone" with the crisis lines, the alert no longer points at it, and the call is open
        again for the group's facilitators, the person told where it stands."""
        await self._told_ended(conv, "gone")
        await self._back_to_group(conv)

    async def _back_to_group(self, conv: Conversation) -> None:
        """After an alert conversation ended with nobody to answer in it: the alert is
        untaken if its facilitator still had it, or the person hears where it stands now."""
        alert_id = conv["request"]["alert"]
        if not await self.alerts.release(alert_id, conv["supporter"]):
            # Untaken already (the handler-gone timer), or taken by someone else since: what
            # the person heard then may no longer be true (who is online has changed).
            alert = await self.alerts.store.get(alert_id)
            if alert is not None and alert.room_id is not None and alert.member is not None:
                standing = await self.alerts.status_on_return(alert.room_id, alert.member)
                if standing is not None:
                    await self._send([conv["request"]["identity"]], standing)

    async def _end_from_alert(self, conv: Conversation, by: str) -> bool:
        """End a conversation opened from an alert that nobody can answer in any more; the
        alert stops pointing at it, so the room's staff may open another. False if it had
        ended meanwhile (by the person, or on another process)."""
        try:
            await self._finish(conv, by)
        except ProtocolError:
            return False
        return True

    async def release_calls_of_revoked(self) -> int:
        """Crisis calls of the queue (alerts of no room) that someone took from the alert
        inbox, without taking the person, and can no longer answer (their one-to-one right
        removed, their account disabled; online or not): untaken at once, as if they had gone
        (AlertInbox.release), so the supporters and admins who may answer see them open again,
        instead of "Aino handles it" for as long as Aino stays signed in. A call whose person
        is in a conversation is that conversation's to settle (its end resolves it; a
        hand-back to the queue untakes it). Returns how many were untaken."""
        talking = {conv["request"].get("crisis_alert")
                   for conv in await self.backend.conversations()}
        may: dict[str, bool] = {}
        released = 0
        for alert_id, account in await self.alerts.store.handled():
            if alert_id in talking:
                continue
            if account not in may:
                record = await self.staff.by_id(account)
                may[account] = record is not None and await self.config.may_support(record)
            if may[account]:
                continue
            alert = await self.alerts.store.get(alert_id)
            if alert is not None and alert.room_id is None:
                released += await self.alerts.release(alert_id, account, REVOKED)
        return released

    async def revoked_while_away(self, client: Client) -> None:
        """A console asks to be available for someone who may not support: their right was
        taken away while it had no socket, so it never heard ``support_revoked``. It hears it
        now, with the conversations still theirs (from alerts) and why each of the others of
        the last day ended, so that it says at once which of its tabs ended, and why."""
        if client.staff is None:
            return
        mine = await self.backend.conversations_of(client.staff.id)
        client.offer(encode({"type": "support_revoked", "convs": [c["id"] for c in mine],
                             "ended": await self.backend.endings.of(client.staff.id)}))

    async def resume_conversation(self, client: Client, frame: ConvResume) -> None:
        """Either side, after a reload: the conversation again with its history so far. A
        participant's that was handed back to the queue meanwhile: their place (`queued`)."""
        try:
            conv, side = await self._conversation(client, frame.conv)
        except ProtocolError:
            if client.staff is None and await self._handed_back(client, frame):
                return
            raise
        client.offer(encode(await self.resumed(conv, side, frame.id)))
        if side == "supporter":
            await self.supporter_back(conv)
        else:
            await self.person.back(conv)

    async def _handed_back(self, client: Client, frame: ConvResume) -> bool:
        """The person's conversation went back to the queue while their page was away (a
        reload, a lost connection: ``conv_interrupted`` reached no socket). Not "it ended":
        they wait again in their place, told so (``queued`` with ``returned_from``), or, if
        another supporter has taken them since, are in that conversation. The backend marks
        a request handed back with the conversation it came from (``returned_from``)."""
        assert client.identity is not None
        identity = client.identity.id

        def came_from(request: Request) -> bool:
            return request["identity"] == identity and request.get("returned_from") == frame.conv

        request = next((r for r in await self.backend.queued() if came_from(r)), None)
        if request is not None:
            with contextlib.suppress(ProtocolError):  # unless taken just now: see below
                await self.rewait(client, request, frame.id, returned_from=frame.conv)
                return True
        conv = next((c for c in await self.backend.conversations()
                     if came_from(c["request"])), None)
        if conv is None:
            return False
        client.offer(encode(await self.resumed(conv, "participant", frame.id)))
        return True

    async def rewait(self, client: Client, request: Request, frame_id: str | None,
                     **said: Any) -> None:
        """This person's sockets wait for their request again, claimed by this process
        (``said``: more for the ``queued`` answer)."""
        assert client.identity is not None
        if await self.backend.claim(request["id"], self.process) is None:
            raise ProtocolError(ErrorCode.NOT_QUEUED)  # taken just now
        request_id = request["id"]
        client.offer(encode({"type": "queued", "id": frame_id, "request": request_id,
                             "crisis": request["crisis"], "resumed": True, **said}))
        client.offer(encode(await self.crisis.frame("")))
        # Every process wires this person's sockets to the request and forgets the orphan.
        await self.rooms.announce(
            {"kind": "oo_rewait", "identity": client.identity.id, "request": request_id})

    async def supporter_back(self, conv: Conversation) -> None:
        """The supporter's console has the conversation again: it is bound to this process
        from now on (one that waited, parked, since its process stopped cleanly goes on), and
        a participant who was told that they were away learns that they are back (a page that
        was not told ignores it)."""
        await self.backend.rebind(conv["id"], conv["supporter"], self.process)
        await self._send([conv["request"]["identity"]],
                         {"type": "conv_supporter_back", "conv": conv["id"]})

    async def resumed(self, conv: Conversation, side: str,
                       frame_id: str | None = None) -> dict[str, Any]:
        """`conv_started` again for one side, with the history so far."""
        started: dict[str, Any] = {"type": "conv_started", "id": frame_id, "conv": conv["id"],
                                   "role": side, "resumed": True}
        if side == "participant":
            started.update(name=conv["supporter_name"], **from_alert(conv["request"]))
        else:  # the wait they had, not the time since they arrived; the person there or not
            started.update(public_request(conv["request"]), waited_s=round(
                (conv["started"] - conv["request"]["arrived"]) / 1000),
                person_away=await self.person.is_away(conv))
        started["history"] = [msgspec.json.decode(t)
                              for t in await self.backend.transcript(conv["id"])]
        return started

    async def _supports(self, client: Client, conv: Conversation) -> bool:
        """The supporter side may act: a one-to-one supporter, or, in a conversation opened
        from an alert, staff who may handle that room's alerts."""
        room = conv["request"].get("room")
        if room is not None and client.staff is not None:
            return permissions.may(actor(client.staff), Action.HANDLE_ALERT, room)
        return await self.config.is_supporter(client)

    async def _conversation(self, client: Client, conv_id: str) -> tuple[Conversation, str]:
        """The conversation and the client's side in it; nobody else's."""
        assert client.identity is not None
        conv = await self.backend.conversation(conv_id)
        if conv is not None:
            if client.staff is not None and conv["supporter"] == client.staff.id:
                return conv, "supporter"
            if client.staff is None and conv["request"]["identity"] == client.identity.id:
                return conv, "participant"
        elif client.staff is not None:  # ended: why, if it was theirs (their console was away)
            why = (await self.backend.endings.of(client.staff.id)).get(conv_id)
            raise ProtocolError(ErrorCode.CONVERSATION_NOT_FOUND, reason=why)
        raise ProtocolError(ErrorCode.CONVERSATION_NOT_FOUND)

    async def send(self, client: Client, frame: ConvSend) -> None:
        text = self.rooms.check_text(frame.text)
        # A participant's crisis language: the crisis lines at once, before anything that can
        # fail (the queue's Redis away: the conversation cannot even be looked up).
        crisis = client.staff is None and bool(crisis_labels(text))
        if crisis:
            client.offer(encode(await self.crisis.frame("")))
        conv, side = await self._conversation(client, frame.conv)
        if side == "supporter" and not await self._supports(client, conv):
            raise ProtocolError(ErrorCode.FORBIDDEN)
        name = conv["supporter_name"] if side == "supporter" else None
        message = {"type": "conv_message", "conv": conv["id"], "from": side, "text": text,
                   "ts": now_ms()}
        if name is not None:
            message["name"] = name
        await self.backend.append_transcript(conv["id"], encode(message))
        await self._send([conv["request"]["identity"], staff_identity(conv["supporter"])],
                         message)
        client.offer(encode({"type": "conv_sent", "id": frame.id, "conv": conv["id"]}))
        if crisis:
            # The supporter is alerted, never the text.
            await self._send([staff_identity(conv["supporter"])],
                             {"type": "conv_alert", "conv": conv["id"], "reason": "crisis"})

    async def end(self, client: Client, frame: ConvEnd) -> None:
        conv, side = await self._conversation(client, frame.conv)
        await self._finish(conv, side)
        client.offer(encode({"type": "conv_closed", "id": frame.id, "conv": conv["id"]}))

    async def _finish(self, conv: Conversation, by: str) -> None:
        ended = await self.backend.end(conv["id"])
        if ended is None:
            raise ProtocolError(ErrorCode.CONVERSATION_NOT_FOUND)
        await self._told_ended(ended, by)

    async def _told_ended(self, ended: Conversation, by: str) -> None:
        """Both sides hear that a conversation the backend has ended is over."""
        if not ended["request"].get("alert"):  # the queue's figures are the queue's own
            await self.backend.record_duration((now_ms() - ended["started"]) / 1000)
        if ended["request"].get("crisis_alert"):  # the call the crisis request raised is done
            await self.alerts.handled_elsewhere(ended["request"]["crisis_alert"],
                                                ended["supporter"], ended["supporter_name"],
                                                "supported")
        resources = await self.crisis.current()
        # The participant gets the crisis resources and a feedback prompt, whoever ended,
        # with a key that lets them give feedback once (nothing stored links it to them).
        await self._send([ended["request"]["identity"]], {
            "type": "conv_ended", "conv": ended["id"], "by": by, "feedback": True,
            "feedback_key": self.identities.tag(FEEDBACK_KEY, ended["id"]),
            "resources": resources})
        await self._ended_for(ended["supporter"], ended["id"], by)
        if ended["request"].get("alert"):
            # The call may go on (the alert unresolved): every console offers to talk with
            # the person again, which it does only for an alert with no conversation.
            await self.alerts.conversation_gone(ended["request"]["alert"], ended["id"])
        await self._changed()

    async def transfer(self, client: Client, frame: ConvTransfer) -> None:
        conv, side = await self._conversation(client, frame.conv)
        if side != "supporter" or not await self._supports(client, conv):
            raise ProtocolError(ErrorCode.FORBIDDEN)
        room = conv["request"].get("room")
        if room is not None:  # from an alert: only to staff who may handle that room's alerts
            target = await self.staff.by_id(frame.to)  # (else they would see the person's
            if target is None or not permissions.may(  # pseudonym and could not answer)
                    actor(target), Action.HANDLE_ALERT, room):
                raise ProtocolError(ErrorCode.FORBIDDEN)
        moved = await self.backend.transfer(conv["id"], frame.to)
        if moved is None:
            raise ProtocolError(ErrorCode.CONVERSATION_NOT_FOUND)
        if moved == FULL:
            raise ProtocolError(ErrorCode.AT_CAPACITY)
        assert isinstance(moved, dict)
        await self._send([conv["request"]["identity"]], {
            "type": "conv_transferred", "conv": conv["id"], "name": moved["supporter_name"]})
        # The note goes to the new supporter only; the participant never sees it.
        await self.begin(moved, handover=frame.note or "")
        client.offer(encode({"type": "conv_handed_over", "id": frame.id, "conv": conv["id"]}))
        await self._changed()

    async def warn(self, client: Client, frame: ConvWarn) -> None:
        conv, side = await self._conversation(client, frame.conv)
        if side != "supporter" or not await self._supports(client, conv):
            raise ProtocolError(ErrorCode.FORBIDDEN)
        await self._send([conv["request"]["identity"]], {
            "type": "conv_warned", "conv": conv["id"], "reason": frame.reason})
        client.offer(encode({"type": "conv_warn_sent", "id": frame.id, "conv": conv["id"]}))

    async def ban(self, client: Client, frame: ConvBan) -> None:
        conv, side = await self._conversation(client, frame.conv)
        if side != "supporter" or not await self._supports(client, conv):
            raise ProtocolError(ErrorCode.FORBIDDEN)
        assert client.staff is not None
        await self.stats.ban(conv["request"]["identity"], frame.seconds, frame.reason,
                             client.staff.id)
        await self.staff.audit(
            actor_id=client.staff.id, actor_name=client.staff.display_name,
            action="one_to_one_ban", detail={"seconds": frame.seconds})
        await self._finish(conv, "supporter")
        client.offer(encode({"type": "conv_closed", "id": frame.id, "conv": conv["id"]}))

    async def feedback(self, client: Client, frame: ConvFeedback) -> None:
        """Anonymous feedback after the conversation: once per conversation, by whoever holds
        its key (only the participant was given it), stored without identity or conversation."""
        if client.staff is not None:
            raise ProtocolError(ErrorCode.FORBIDDEN)
        expected = self.identities.tag(FEEDBACK_KEY, frame.conv)
        if not hmac.compare_digest(frame.key.encode(), expected.encode()):
            raise ProtocolError(ErrorCode.CONVERSATION_NOT_FOUND)
        text = (frame.text or "").strip() or None
        used, _ = await self.broker.hit(f"{FEEDBACK_KEY}:{frame.conv}", FEEDBACK_SECONDS)
        if used > 1:
            raise ProtocolError(ErrorCode.FEEDBACK_GIVEN)
        await self.stats.add_feedback(datetime.now(UTC).date(), frame.rating, text)
        client.offer(encode({"type": "conv_feedback_saved", "id": frame.id,
                             "conv": frame.conv}))

    async def open_from_alert(self, client: Client, frame: ConvOpen) -> None:
        """A facilitator answers an alert in private: a conversation with the person it is
        about, who keeps the group open beside it. Audited; it ends like any other."""
        account = client.staff
        if account is None:
            raise ProtocolError(ErrorCode.FORBIDDEN)
        alert = await self.alerts.store.get(frame.alert)
        if alert is None or not await self.alerts.may_see(account, alert):
            raise ProtocolError(ErrorCode.ALERT_NOT_FOUND)
        if (alert.room_id is None or alert.member is None
                or not permissions.may(actor(account), Action.HANDLE_ALERT, alert.room_id)):
            raise ProtocolError(ErrorCode.FORBIDDEN)
        if alert.state == "resolved":
            raise ProtocolError(ErrorCode.ALERT_STATE)
        present = {p["member"] for p in await self.rooms.present(alert.room_id)}
        if alert.member not in present:
            # Taken out of the room by its session's close, they may still have its page
            # open (the closing screen, the groups): reached here while they do. Their page
            # reloading (gone a moment, in the reconnect grace) is not their leaving.
            where = await self.rooms.after_close(alert.room_id, alert.member)
            if where != "connected":
                raise ProtocolError({"gone": ErrorCode.PERSON_LEFT,
                                     "returning": ErrorCode.PERSON_RETURNING}.get(
                    where or "", ErrorCode.MEMBER_NOT_FOUND))  # else they left the room
        identity = await self.identities.find(alert.member, alert.room_id, self.moderation)
        if identity is None:
            raise ProtocolError(ErrorCode.MEMBER_NOT_FOUND)
        now = now_ms()
        crisis = alert.kind in (HELP, CRISIS)
        lang = await self.store.identity_lang(identity) or "fi"  # the person's, not staff's
        request: dict[str, Any] = {
            "id": uuid.uuid4().hex, "identity": identity, "lang": lang, "topic": None,
            "answers": {}, "crisis": crisis, "arrived": now, "band": queueing.band_of(crisis),
            "process": self.process, "alert": alert.id, "room": alert.room_id,
            "name": alert.name}
        conv: Conversation = {"id": uuid.uuid4().hex, "request": request,
                              "supporter": account.id, "supporter_name": account.display_name,
                              "process": self.process, "started": now}
        await self.backend.open(conv)
        await self.begin(conv, frame_id=frame.id)
        if alert.state == "open":
            await self.alerts.acknowledge(account, alert.id)
        await self.alerts.conversation_opened(alert.id, conv["id"])
        await self.staff.audit(actor_id=account.id, actor_name=account.display_name,
                               action="alert_conversation", room_id=alert.room_id,
                               target=alert.member, detail={"alert": alert.id})
