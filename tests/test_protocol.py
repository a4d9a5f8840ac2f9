"""The sans-I/O protocol core: text in, typed frames or error codes out."""

from __future__ import annotations

import json

import pytest

from chatserver.domain.errors import MESSAGES, ErrorCode, ProtocolError
from chatserver.domain.protocol import (
    Hello,
    Join,
    Send,
    decode_client_frame,
    error_frame,
    event_body,
    frame_id,
    seq_of,
    splice_seq,
)


def code_of(data: str | bytes, max_bytes: int = 1000) -> ErrorCode:
    with pytest.raises(ProtocolError) as refused:
        decode_client_frame(data, max_bytes=max_bytes)
    return refused.value.code


def test_valid_frames_decode_to_types():
    assert decode_client_frame('{"type":"hello","v":1}', max_bytes=100) == Hello(v=1)
    frame = decode_client_frame('{"type":"join","room":"r","since":5,"id":"a","x":1}',
                                max_bytes=100)
    assert frame == Join(room="r", id="a", since=5)
    send = decode_client_frame(b'{"type":"send","room":"r","text":"hei","reply_to":2}',
                               max_bytes=100)
    assert isinstance(send, Send) and send.reply_to == 2


@pytest.mark.parametrize(("data", "code"), [
    ("{", ErrorCode.BAD_JSON),
    ("", ErrorCode.BAD_JSON),
    ('{"type":"hello","v":1}garbage', ErrorCode.BAD_JSON),
    ("[]", ErrorCode.UNKNOWN_TYPE),
    ("null", ErrorCode.UNKNOWN_TYPE),
    ('{"no_type":1}', ErrorCode.UNKNOWN_TYPE),
    ('{"type":"delete_everything"}', ErrorCode.UNKNOWN_TYPE),
    ('{"type":7}', ErrorCode.UNKNOWN_TYPE),
    ('{"type":[]}', ErrorCode.UNKNOWN_TYPE),  # found by tests/test_fuzz.py: was `internal`
    ('{"type":{"a":1}}', ErrorCode.UNKNOWN_TYPE),
    ('{"type":"send","room":"r"}', ErrorCode.INVALID_FRAME),
    ('{"type":"send","room":"r","text":5}', ErrorCode.INVALID_FRAME),
    ('{"type":"join","room":"r","since":"5"}', ErrorCode.INVALID_FRAME),
    ('{"type":"join","room":"r","since":1e400}', ErrorCode.BAD_JSON),
    ('{"type":"join","room":"r","since":123456789012345678901234567890}',
     ErrorCode.INVALID_FRAME),
    ('{"type":"send","room":"r","text":"\\ud800"}', ErrorCode.BAD_JSON),
    ('{"type":"join","room":"r","since":-1}', ErrorCode.INVALID_FRAME),
    ('{"type":"send","room":"r","text":"x","reply_to":9007199254740992}',
     ErrorCode.INVALID_FRAME),
    ('{"type":"hello","v":99999999999999999999}', ErrorCode.INVALID_FRAME),
    ('{"type":"hello","v":1,"lang":"de"}', ErrorCode.INVALID_FRAME),
    ('{"type":"join","room":""}', ErrorCode.INVALID_FRAME),
    ('{"type":"join","room":"' + "r" * 65 + '"}', ErrorCode.INVALID_FRAME),
    ('{"type":"ping","id":"' + "i" * 65 + '"}', ErrorCode.INVALID_FRAME),
])
def test_bad_frames_get_stable_codes(data, code):
    assert code_of(data) == code


def test_frame_size_is_counted_in_utf8_bytes():
    text = "ä" * 50  # 100 bytes in UTF-8
    frame = json.dumps({"type": "send", "room": "r", "text": text}, ensure_ascii=False)
    assert len(frame) < 100 < len(frame.encode())
    assert code_of(frame, max_bytes=100) == ErrorCode.FRAME_TOO_LARGE
    assert decode_client_frame(frame, max_bytes=200).text == text  # type: ignore[union-attr]


def test_deep_nesting_in_ignored_fields_is_harmless():
    shallow = '{"type":"ping","id":"p","junk":' + "[" * 20 + "]" * 20 + "}"
    assert decode_client_frame(shallow, max_bytes=20000).id == "p"  # type: ignore[union-attr]
    deep = '{"type":"ping","id":"p","junk":' + "[" * 5000 + "]" * 5000 + "}"
    assert code_of(deep, max_bytes=20000) == ErrorCode.INVALID_FRAME
    assert frame_id(deep) is None


def test_error_frames_echo_the_id_and_explain():
    frame = json.loads(error_frame(ErrorCode.RATE_LIMITED, id="c7", room="r", retry_after=1.234))
    assert frame == {"type": "error", "code": "rate_limited", "id": "c7", "room": "r",
                     "retry_after": 1.23, "message": MESSAGES[ErrorCode.RATE_LIMITED]}
    assert frame_id('{"type":"bogus","id":"x9"}') == "x9"
    assert frame_id("{broken") is None
    assert all(code in MESSAGES for code in ErrorCode)


def test_sequence_numbers_are_spliced_into_the_encoded_body():
    body = event_body({"type": "message", "room": "r", "text": 'quote " and {brace}'})
    frame = splice_seq(1234, body)
    decoded = json.loads(frame)
    assert decoded["seq"] == 1234 and decoded["text"] == 'quote " and {brace}'
    assert seq_of(frame) == 1234 and seq_of(frame.decode()) == 1234


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536])
def test_broadcast_frames_are_byte_identical_to_the_websockets_library(size):
    from websockets.frames import Frame, Opcode

    from chatserver.domain.protocol import text_frame

    payload = ("ä" * size).encode()[:size]
    assert text_frame(payload) == Frame(Opcode.TEXT, payload).serialize(mask=False)
