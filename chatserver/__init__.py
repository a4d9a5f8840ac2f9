"""A real-time, moderated, anonymous peer-support chat server."""

__version__ = "0.1.0"
PROTOCOL_VERSION = 1
