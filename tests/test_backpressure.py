"""A member that stops reading (or reads one byte a second) is dropped when its queue
overflows and never delays others."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from pathlib import Path

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from chatserver.testing import ChatClient


def stuck_client(port: int) -> socket.socket:
    """A WebSocket client on a tiny receive buffer that joins a room and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    proto = ClientProtocol(parse_uri(f"ws://127.0.0.1:{port}/ws"))
    proto.send_request(proto.connect())
    sock.sendall(b"".join(proto.data_to_send()))
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(4096)
    assert b" 101 " in response.split(b"\r\n", 1)[0]
    for frame in ({"type": "hello", "v": 1}, {"type": "join", "room": "olohuone", "id": "j"}):
        data = json.dumps(frame).encode()
        proto.send_frame(Frame(Opcode.TEXT, data))
    sock.sendall(b"".join(proto.data_to_send()))
    return sock


def read_one_byte_a_second(sock: socket.socket, stop: threading.Event) -> None:
    sock.settimeout(1)
    while not stop.wait(1):
        try:
            if not sock.recv(1):
                return
        except OSError:
            return


def peak_rss_mb(server) -> float:
    """The server process's peak resident memory (VmHWM), in MB."""
    status = Path(f"/proc/{server.proc.pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def metric(server, name: str) -> float:
    import urllib.request

    with urllib.request.urlopen(server.url + "/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


async def test_stuck_reader_is_dropped_and_others_get_everything(start_server):
    server = start_server(send_queue_frames=64, send_rate=10000, send_burst=10000,
                          frame_rate=10000, frame_burst=10000,
                          # The subject here is fan-out, not the filters: all off.
                          filter_defaults='{"flood": false, "newcomer": false, "blocklist": '
                                          'false, "crisis": false, "personal_details": false}')
    sender = await ChatClient.connect(server.ws_url)
    healthy = await ChatClient.connect(server.ws_url)
    await sender.join("olohuone")
    await healthy.join("olohuone")
    stuck = await asyncio.to_thread(stuck_client, server.port)
    await healthy.wait_for(lambda f: f["type"] == "member_joined")
    # A second one reads, but one byte a second: as good as stuck.
    trickle = await asyncio.to_thread(stuck_client, server.port)
    stop_trickle = threading.Event()
    reader = threading.Thread(target=read_one_byte_a_second, args=(trickle, stop_trickle))
    reader.start()

    # How much the kernel takes before the server's own queue fills depends on how far TCP
    # has grown the socket's send buffer (up to 4 MB here): keep sending, in rounds, until
    # the server has cut both, as a broadcast to a room with a stuck member would go on.
    text = "x" * 1900
    sent = 0
    for _ in range(8):
        for i in range(sent, sent + 500):
            await sender.send({"type": "send", "room": "olohuone", "text": f"{i} {text}",
                               "id": f"m{i}"})
        sent += 500
        last = f"m{sent - 1}"
        await sender.wait_for(lambda f, last=last: f.get("id") == last, timeout=60)
        if metric(server, "chat_slow_clients_dropped_total") >= 2:
            break
    await healthy.wait_for(lambda f: f.get("text", "").startswith(f"{sent - 1} "), timeout=60)
    got = [int(f["text"].split(" ", 1)[0]) for f in healthy.events("olohuone", "message")]
    assert got == list(range(sent)), "the healthy member got every message, in order"
    assert metric(server, "chat_slow_clients_dropped_total") >= 2, "both slow readers cut"
    # The stuck members were cut and are gone from the room for everyone else.
    mark = 0
    for _ in range(2):
        left = await healthy.wait_for(lambda f: f["type"] == "member_left", timeout=15,
                                      start=mark)
        mark = healthy.frames.index(left) + 1
    stop_trickle.set()
    reader.join(5)
    stuck.close()
    trickle.close()
    peak = peak_rss_mb(server)
    print(f"\nslow readers: {sent} x 2 KB broadcast, 2 slow readers dropped, server peak RSS "
          f"{peak:.0f} MB")
    assert peak < 400, "memory stays bounded: a stuck reader costs at most its queue"
    await sender.close()
    await healthy.close()
