"""Minimal broadcast servers measured beside the product with the same load generator.

Each speaks the same tiny protocol (except socket.io, which speaks its own): JSON text frames
``{"type": "join", "room": R}`` (answered by ``{"type": "joined", "room": R}``) and
``{"type": "send", "room": R, "text": T}`` (broadcast to every member of R, the sender too,
as ``{"type": "message", "room": R, "text": T}``). No validation beyond that, no persistence.
"""
