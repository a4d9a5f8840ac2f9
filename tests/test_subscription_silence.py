"""A Redis subscription whose connection dies without a word (a NAT or firewall that forgot
it, a cable pulled between two switches): no FIN, no RST, the socket just stays silent. A
process must notice and subscribe again, or its members hear nothing from the other processes
while it believes itself subscribed (and never catches up, since it never saw a loss)."""

from __future__ import annotations

import asyncio
import contextlib
import threading

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
    free_port,
)
from tests.test_faults import ROOM, say_until_acked


class Relay:
    """A TCP relay standing in for the network between the processes and Redis. ``forget()``
    makes every connection open now silent for good (what crosses it is dropped, nothing is
    closed); connections made later go through."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._flows: list[dict[str, bool]] = []
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Relay:
        """In a thread of its own: starting a server process blocks the test's loop."""
        started = threading.Event()

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
            started.set()
            await self._server.serve_forever()

        def run() -> None:
            with contextlib.suppress(asyncio.CancelledError):
                asyncio.run(serve())

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert started.wait(10)
        return self

    def forget(self) -> None:
        for flow in self._flows:
            flow["silent"] = True

    async def _accept(self, client_r: asyncio.StreamReader,
                      client_w: asyncio.StreamWriter) -> None:
        redis_r, redis_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        flow = {"silent": False}
        self._flows.append(flow)
        self._writers += [client_w, redis_w]
        for src, dst in ((client_r, redis_w), (redis_r, client_w)):
            task = asyncio.create_task(self._pump(src, dst, flow))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter,
                    flow: dict[str, bool]) -> None:
        with contextlib.suppress(OSError):
            while data := await src.read(65536):
                if not flow["silent"]:
                    dst.write(data)
        if not flow["silent"]:
            dst.close()

    def close(self) -> None:
        def stop() -> None:
            for task in list(self._tasks):
                task.cancel()
            for writer in self._writers:
                writer.close()
            if self._server is not None:
                self._server.close()

        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(stop)
            self._thread.join(10)


async def test_a_subscription_that_died_silently_is_made_again_and_nothing_is_missed(
        start_server, redis_server, pg_url):
    relay = Relay(redis_server.port).start()
    try:
        a = start_server(database_url=pg_url, redis_url=relay.url, **FAST)
        b = start_server(database_url=pg_url, redis_url=relay.url, **FAST)
        alice = await ChatClient.connect(a.ws_url)
        bob = await ChatClient.connect(b.ws_url)
        await alice.join(ROOM)
        await bob.join(ROOM)
        await say_until_acked(alice, ROOM, "before")
        await bob.wait_for(lambda f: f.get("text") == "before", timeout=5)

        relay.forget()  # every connection to Redis goes silent; new ones go through
        await say_until_acked(alice, ROOM, "after")  # on a new connection
        heard = await bob.wait_for(lambda f: f.get("text") == "after", timeout=20)
        assert heard["room"] == ROOM
        reply = await say_until_acked(bob, ROOM, "reply")
        got = await alice.wait_for(lambda f: f.get("text") == "reply", timeout=20)
        assert got["seq"] == reply["seq"]
        # Bob's own copy comes through his process's subscription, not always before Alice's.
        await bob.wait_for(lambda f: f.get("text") == "reply", timeout=20)
        texts = [f["text"] for f in bob.events(ROOM, "message")]
        assert texts == ["before", "after", "reply"], "each once, in order"
        for c in (alice, bob):
            await c.close()
    finally:
        relay.close()


async def test_a_room_locked_while_a_process_heard_nothing_is_locked_there_too(
        start_server, redis_server, pg_url):
    """Sanna (on process A) locks the room while only process B's Redis connections are
    silent: B misses the control event. Once B has subscribed again, Bob (on B) must be held
    to the lock as everyone on A is, not to what B's guard remembered from before."""
    admin_password = create_admin({"DATABASE_URL": pg_url})
    relay = Relay(redis_server.port).start()
    try:
        a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
        b = start_server(database_url=pg_url, redis_url=relay.url, **FAST)
        admin, http = StaffHttp(a.url), StaffHttp(a.url)
        await admin.login("admin", admin_password)
        await add_facilitator(admin, "sanna", [ROOM])
        await http.login("sanna", FACILITATOR_PASSWORD)
        sanna = await http.socket(a.ws_url)
        for client in (admin, http):
            await client.close()
        bob = await ChatClient.connect(b.ws_url)
        await sanna.join(ROOM)
        await bob.join(ROOM)
        await say_until_acked(bob, ROOM, "before")  # B's guard has the room's controls now

        relay.forget()  # B's connections only: A reaches Redis directly
        answer = await sanna.request({"type": "moderate", "room": ROOM, "action": "lock",
                                      "on": True})
        assert answer["type"] == "done", answer
        # Bob hears of the lock once B has caught up (from the room's stream).
        await bob.wait_for(lambda f: f["type"] == "room_controls" and f["locked"], timeout=20)
        answer = await bob.say(ROOM, "lukossa?")
        assert answer.get("code") == "room_locked", answer
        for c in (sanna, bob):
            await c.close()
    finally:
        relay.close()
