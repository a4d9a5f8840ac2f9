"""A supporter whose console went away: the people in their private conversations are told
that they are away (HANDLER_GONE_SECONDS with no signed-in socket anywhere), and at
SUPPORTER_REQUEUE_SECONDS their conversations end: their people from the queue are back at
its front, for another supporter; a person in a conversation opened from an alert in a group
is handed back to that group's facilitators (Conversations.end_abandoned). A console back in
time (a reload, another process) is not gone.

A console closed because its process stopped cleanly (a deploy) has the same time to come back
on another process: its conversations wait, parked in the queue's backend, bound to no process
(OneToOne.close), and whichever live process finds them due first tells their people that the
supporter is away, then hands them back (``parked``). Their console back binds them to its
process (Conversations.supporter_back)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from chatserver.broker.queue import Conversation, QueueBackend
from chatserver.core.crisis import CrisisResources
from chatserver.core.ports import RoomAccess
from chatserver.core.presence import STAFF_ROOM
from chatserver.domain import queueing
from chatserver.features.one_to_one.conversations import Conversations

log = logging.getLogger("chatserver.one_to_one")


class SupporterAbsence:
    def __init__(self, rooms: RoomAccess, backend: QueueBackend, *, crisis: CrisisResources,
                 conversations: Conversations, changed: Callable[[], Awaitable[None]]) -> None:
        self.rooms = rooms
        self.backend = backend
        self.crisis = crisis
        self.conversations = conversations
        self._changed = changed
        # Staff whose last socket here went away (account -> monotonic time): the people in
        # their private conversations are told they are away unless they are back in time.
        self._staff_left: dict[str, float] = {}
        # Of those, the ones whose people were told (account -> when they left): at
        # SUPPORTER_REQUEUE_SECONDS their conversations go back to the queue unless they are back.
        self._staff_away: dict[str, float] = {}

    def left(self, account: str) -> None:
        """The account's last socket on this process went away."""
        self._staff_left[account] = time.monotonic()
        self._staff_away.pop(account, None)  # a new absence starts again

    async def tell_if_supporters_gone(self) -> None:
        """Staff who left this process and have had no signed-in socket anywhere for
        HANDLER_GONE_SECONDS: the people in their private conversations are told that they are
        away, with the crisis lines (a console back in time, after a reload or on another
        process, is not gone). Their words still reach the supporter if they come back. At
        SUPPORTER_REQUEUE_SECONDS the conversations end: from the queue, their people are
        back at its front, for another supporter; from an alert, back with the group's
        facilitators."""
        settings = self.rooms.settings
        now = time.monotonic()
        due = [account for account, since in self._staff_left.items()
               if now - since >= settings.handler_gone_seconds]
        requeue = [account for account, since in self._staff_away.items()
                   if now - since >= settings.supporter_requeue_seconds]
        if not due and not requeue:
            return
        online = {info.get("member") for info in await self.rooms.present(STAFF_ROOM)}
        for account in requeue:
            del self._staff_away[account]
            if account not in online:
                await self._requeue_conversations_of(account)
        if not due:
            return
        resources = await self.crisis.current()
        for account in due:
            since = self._staff_left.pop(account)
            if account in online:
                continue
            convs = await self.backend.conversations_of(account)
            if convs:
                self._staff_away[account] = since
            for conv in convs:
                await self._tell_away(conv, resources)

    async def _tell_away(self, conv: Conversation, resources: list[dict[str, Any]]) -> None:
        await self.rooms.announce({"kind": "oo_deliver", "to": [conv["request"]["identity"]],
                                   "frame": {"type": "conv_supporter_away", "conv": conv["id"],
                                             "resources": resources}})

    async def _requeue_conversations_of(self, account: str) -> None:
        returned = 0
        for conv in await self.backend.conversations_of(account):
            if conv["request"].get("alert") is not None:
                # From an alert in a group: back to that group's facilitators, not the queue.
                await self.conversations.end_abandoned(conv)
                continue
            back = await self.backend.return_to_queue(conv["id"], queueing.BAND_RETURNED)
            if back is not None:  # not ended meanwhile
                await self.conversations.returned(back, reason="supporter_gone")
                returned += 1
        if returned:
            log.info("conversations returned to the queue", extra={"count": returned})
            await self._changed()

    async def parked(self, now: float) -> None:
        """The conversations of a process that stopped cleanly whose supporter has not come
        back: at HANDLER_GONE_SECONDS their people hear that the supporter is away (unless
        the supporter is signed in somewhere, say in a second tab on another process that had
        no reason to reconnect: then it is bound to this process instead, and goes on); at
        SUPPORTER_REQUEUE_SECONDS they are handed back as a dead process's are (from an
        alert: ended, back with the group's facilitators; from the queue: at its front). The
        backend gives each to one process only."""
        away = await self.backend.parked_away(now)
        if away:
            online = {info.get("member") for info in await self.rooms.present(STAFF_ROOM)}
            resources = await self.crisis.current()
            for conv in away:
                if conv["supporter"] in online:
                    await self.backend.rebind(conv["id"], conv["supporter"],
                                              self.conversations.process)
                else:
                    await self._tell_away(conv, resources)
        returned = await self.conversations.handed_back(
            await self.backend.parked_expired(now), reason="supporter_gone")
        if returned:
            log.info("conversations returned to the queue", extra={"count": returned})
            await self._changed()
