"""Anonymous identities: a random bearer token, kept only as a hash, and per-room member ids.

The public id of a participant in a room (``member``) is an HMAC of the identity and the room:
stable within the room, so moderation and presence work, but unlinkable across rooms.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid

from chatserver.domain import pseudonyms
from chatserver.storage.moderation import ModerationStore
from chatserver.storage.store import IdentityRecord, NewIdentity, Store, hash_token
from chatserver.storage.writer import GroupCommitWriter

TOKEN_BYTES = 32  # 256 bits; the design asks for at least 128


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def member_id(secret: bytes, identity_id: str, room_id: str) -> str:
    digest = hmac.new(secret, f"{identity_id}\x00{room_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()  # 16 characters, 80 bits


class Identities:
    def __init__(self, store: Store, secret: str) -> None:
        self._store = store
        self.secret = secret.encode()
        # New identities share transactions (everyone arriving at the hour); each is stored
        # before its token is given out, so a reconnect anywhere finds it.
        self._writer: GroupCommitWriter[NewIdentity] = GroupCommitWriter(
            store.insert_identities)
        # So is the first hello of the day of everyone coming back to their group.
        self._seen: GroupCommitWriter[str] = GroupCommitWriter(store.mark_seen)

    def start(self) -> None:
        self._writer.start()
        self._seen.start()

    async def close(self) -> None:
        await self._writer.close()
        await self._seen.close()

    async def issue(self, lang: str) -> tuple[str, IdentityRecord]:
        """A new identity with a generated pseudonym; returns the token (shown once)."""
        token = new_token()
        identity = NewIdentity(str(uuid.uuid4()), hash_token(token), pseudonyms.generate(lang),
                               lang)
        await self._writer.write(identity)
        return token, IdentityRecord(identity.id, identity.pseudonym, False, lang)

    async def resolve(self, token: str) -> IdentityRecord | None:
        if not token or len(token) > 128:
            return None
        identity = await self._store.identity_by_token(token)
        if identity is not None and not identity.seen_today:
            await self._seen.write(identity.id)
        return identity

    def member(self, identity_id: str, room_id: str) -> str:
        return member_id(self.secret, identity_id, room_id)

    def tag(self, purpose: str, value: str) -> str:
        """A keyed digest of `value` for one purpose (e.g. a one-time feedback key): the
        server can check it later without storing it, and nobody else can make one."""
        digest = hmac.new(self.secret, f"{purpose}\x00{value}".encode(),
                          hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    async def find(self, member: str, room_id: str, store: ModerationStore) -> str | None:
        """The identity behind a room's member id. Member ids are one-way, and no table links
        identities to rooms (on purpose), so this tries every identity: thousands of HMACs,
        milliseconds, and only when a facilitator bans someone from all rooms."""
        async for identity_id in store.identity_ids():
            if hmac.compare_digest(self.member(identity_id, room_id), member):
                return identity_id
        return None
