"""The person in a private conversation whose page went away: the supporter side hears it.

When the last socket of a participant on a process closes, that process notes when. If no
socket of theirs is back there after PERSON_AWAY_SECONDS (a setting: longer than a reload or a
phone changing networks), it asks every process whether one still holds a socket of theirs (a
reload that landed on another process, a second tab); if none does, the supporter's consoles of
each of their open conversations get ``conv_person_away`` (wherever they are: ``oo_deliver``).
Whether the supporter was told is kept in the broker for every process (a window of
``hit``, keyed by the conversation's random id, never by the person): the page back asks for
the conversation (``conv_resume``, on any process) and the supporter hears ``conv_person_back``
then, only if they had been told. A console that reloads meanwhile hears in its resumed
``conv_started`` whether the person is away (``person_away``)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

from chatserver.broker.base import Broker
from chatserver.broker.errors import BrokerError
from chatserver.broker.queue import Conversation, QueueBackend
from chatserver.core.hub import Client
from chatserver.core.ports import RoomAccess, spawn_into
from chatserver.domain.errors import BackendUnavailable
from chatserver.features.one_to_one.frames import staff_identity

log = logging.getLogger("chatserver.one_to_one")

# How long the supporter stays told (a day: longer than any conversation).
AWAY_WINDOW_SECONDS = 86_400
# How long a process waits for the others to say that they hold a socket of the person.
ASK_SECONDS = 0.5


def _away_key(conv_id: str) -> str:
    return f"oo-person-away:{conv_id}"


def _seen_key(nonce: str) -> str:
    return f"oo-person-seen:{nonce}"


class PersonAbsence:
    def __init__(self, rooms: RoomAccess, backend: QueueBackend, broker: Broker) -> None:
        self.rooms = rooms
        self.backend = backend
        self.broker = broker
        # Participants whose last socket here went away (identity -> monotonic time).
        self._left: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def _here(self, identity: str, but: object = None) -> bool:
        return any(c is not but and c.staff is None and c.identity is not None
                   and c.identity.id == identity for c in self.rooms.local_clients())

    def left(self, client: Client) -> None:
        """A participant's socket here closed: if it was their last one here, the grace
        starts (a conversation or not: looked up only if they are not back in time)."""
        if client.staff is not None or client.identity is None:
            return
        if not self._here(client.identity.id, but=client):
            self._left[client.identity.id] = time.monotonic()

    async def tell_if_gone(self) -> None:
        """On the heartbeat: participants gone from here for PERSON_AWAY_SECONDS with no
        socket back here; each of their conversations is checked across processes."""
        now, grace = time.monotonic(), self.rooms.settings.person_away_seconds
        due = {identity for identity, since in self._left.items() if now - since >= grace}
        if not due:
            return
        for identity in due:
            del self._left[identity]
        due = {identity for identity in due if not self._here(identity)}
        if not due:
            return
        for conv in await self.backend.conversations():
            if conv["request"]["identity"] in due:
                spawn_into(self._tasks, self._check(conv))

    async def _check(self, conv: Conversation) -> None:
        try:
            await self._check_now(conv)
        except (BackendUnavailable, OSError, BrokerError) as exc:  # the supporter is not told
            log.warning("person away not checked", extra={"error": type(exc).__name__})

    async def _check_now(self, conv: Conversation) -> None:
        """Told away first in the broker, so that a page back on another process at this
        very moment finds it and says ``conv_person_back``; taken back if a socket of theirs
        is somewhere."""
        key = _away_key(conv["id"])
        await self.broker.hit(key, AWAY_WINDOW_SECONDS)
        nonce = uuid.uuid4().hex
        await self.rooms.announce({"kind": "oo_person_ask",
                                   "identity": conv["request"]["identity"], "nonce": nonce})
        await asyncio.sleep(ASK_SECONDS)
        seen, _ = await self.broker.hit(_seen_key(nonce), 60, amount=0)
        if seen:
            await self._clear(key)
            return
        await self._to_supporter(conv, "conv_person_away")
        still, _ = await self.broker.hit(key, AWAY_WINDOW_SECONDS, amount=0)
        if not still:  # back on another process while it was being said: said back too
            await self._to_supporter(conv, "conv_person_back")

    def on_ask(self, event: dict[str, Any]) -> None:
        """A process asks whether the person has a socket anywhere: this one says so if it
        holds one."""
        if self._here(str(event["identity"])):
            spawn_into(self._tasks, self._seen(str(event["nonce"])))

    async def _seen(self, nonce: str) -> None:
        try:
            await self.broker.hit(_seen_key(nonce), 60)
        except (BackendUnavailable, OSError, BrokerError) as exc:
            log.warning("person seen not said", extra={"error": type(exc).__name__})

    async def _clear(self, key: str) -> int:
        away, _ = await self.broker.hit(key, AWAY_WINDOW_SECONDS, amount=0)
        if away:
            await self.broker.hit(key, AWAY_WINDOW_SECONDS, amount=-away)
        return away

    async def back(self, conv: Conversation) -> None:
        """A page of the person has the conversation again (``conv_resume``): the supporter,
        if told that they were away, hears that they are back."""
        self._left.pop(conv["request"]["identity"], None)
        if await self._clear(_away_key(conv["id"])):
            await self._to_supporter(conv, "conv_person_back")

    async def is_away(self, conv: Conversation) -> bool:
        away, _ = await self.broker.hit(_away_key(conv["id"]), AWAY_WINDOW_SECONDS, amount=0)
        return away > 0

    async def _to_supporter(self, conv: Conversation, kind: str) -> None:
        await self.rooms.announce({"kind": "oo_deliver",
                                   "to": [staff_identity(conv["supporter"])],
                                   "frame": {"type": kind, "conv": conv["id"]}})
