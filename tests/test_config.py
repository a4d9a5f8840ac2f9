"""Settings are read once, cast, and fail loudly when wrong."""

from __future__ import annotations

import pytest

from chatserver.domain.config import DEFAULT_DATABASE_URL, ConfigError, Settings


def test_defaults_are_the_embedded_single_process_setup():
    s = Settings.from_env({})
    assert s.database_url == DEFAULT_DATABASE_URL and not s.redis_enabled
    assert (s.host, s.port, s.max_message_chars) == ("127.0.0.1", 8000, 2000)


def test_values_are_cast():
    s = Settings.from_env({"PORT": "9000", "SEND_RATE": "0.5", "SEED_EXAMPLE_ROOMS": "no",
                           "ALLOWED_ORIGINS": "https://a.fi, https://b.fi",
                           "REDIS_URL": "redis://localhost:6379/0"})
    assert s.port == 9000 and s.send_rate == 0.5 and s.seed_example_rooms is False
    assert s.allowed_origins == ("https://a.fi", "https://b.fi") and s.redis_enabled
    with pytest.raises(AttributeError):
        s.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(("env", "names"), [
    ({"PORT": "eighty"}, "PORT"),
    ({"SEED_EXAMPLE_ROOMS": "maybe"}, "SEED_EXAMPLE_ROOMS"),
    ({"MAX_MESSAGE_CHARS": "0"}, "MAX_MESSAGE_CHARS"),
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"REDIS_URL": "http://x"}, "REDIS_URL"),
    ({"HEARTBEAT_SECONDS": "10", "PRESENCE_TTL_SECONDS": "5"}, "HEARTBEAT_SECONDS"),
    ({"MAX_FRAME_BYTES": "100"}, "MAX_FRAME_BYTES"),
    ({"HANDLER_GONE_SECONDS": "300"}, "SUPPORTER_REQUEUE_SECONDS"),
    ({"SUPPORTER_REQUEUE_SECONDS": "0"}, "SUPPORTER_REQUEUE_SECONDS"),
])
def test_wrong_values_name_the_variable(env, names):
    with pytest.raises(ConfigError, match=names):
        Settings.from_env(env)
