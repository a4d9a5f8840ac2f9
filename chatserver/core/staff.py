"""Staff accounts: Argon2id passwords, login that reveals nothing, server-side sessions.

Argon2id parameters are RFC 9106's second recommended option (t=3, m=64 MiB, p=4), above
OWASP's minimum (m=19 MiB, t=2, p=1); a stored hash made with other parameters is upgraded at
the next successful login (``check_needs_rehash``).
"""

from __future__ import annotations

import asyncio
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from chatserver.storage.staff import AccountRecord, StaffStore

HASHER = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
MIN_PASSWORD = 12
MAX_PASSWORD = 256
SESSION_HOURS = 12
_COMMON = frozenset(
    line.strip().casefold()
    for line in (Path(__file__).parent / "data" / "common_passwords.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#"))
# Verified against when the account does not exist, so both paths cost the same. A fixed
# hash of a random password nobody kept (it opens no account): hashing one at import cost
# every process and every CLI call ~0.5 s of CPU. A test keeps its parameters equal to HASHER's.
DUMMY_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$AIdZPm3xQmfeiLJ+HwIilA$"
              "KrfvqwsgWNhkACYgDudA//Ua3WDv30qt7qxC8tXla0s")


class PasswordProblem(StrEnum):
    TOO_SHORT = "password_too_short"
    TOO_LONG = "password_too_long"
    TOO_COMMON = "password_too_common"
    CONTAINS_USERNAME = "password_contains_username"


def check_password(password: str, username: str = "") -> PasswordProblem | None:
    if len(password) < MIN_PASSWORD:
        return PasswordProblem.TOO_SHORT
    if len(password) > MAX_PASSWORD:
        return PasswordProblem.TOO_LONG
    folded = unicodedata.normalize("NFKC", password).casefold()
    if folded in _COMMON or len(set(folded)) < 4:
        return PasswordProblem.TOO_COMMON
    if username and len(username) >= 3 and username.casefold() in folded:
        return PasswordProblem.CONTAINS_USERNAME
    return None


def normalise_username(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().casefold()


class StaffError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class SignedIn:
    account: AccountRecord
    token: str
    csrf: str
    expires_at: datetime


class StaffService:
    def __init__(self, store: StaffStore) -> None:
        self.store = store

    async def create(self, username: str, display_name: str, password: str,
                     role: str) -> AccountRecord:
        username = normalise_username(username)
        display_name = " ".join(unicodedata.normalize("NFKC", display_name).split())
        if not 3 <= len(username) <= 64 or not username.replace(".", "").replace(
                "-", "").replace("_", "").isalnum():
            raise StaffError("username_invalid")
        if not 2 <= len(display_name) <= 64:
            raise StaffError("display_name_invalid")
        if role not in ("facilitator", "admin"):
            raise StaffError("role_invalid")
        problem = check_password(password, username)
        if problem is not None:
            raise StaffError(problem.value)
        if await self.store.by_username(username) is not None:
            raise StaffError("username_taken")
        password_hash = await asyncio.to_thread(HASHER.hash, password)
        return await self.store.create(str(uuid.uuid4()), username, display_name,
                                       password_hash, role)

    async def authenticate(self, username: str, password: str) -> AccountRecord | None:
        """The account if the password is right and the account enabled, else None. Takes
        the same time (one Argon2 verification) whether or not the account exists."""
        account = await self.store.by_username(normalise_username(username))
        stored = account.password_hash if account is not None else DUMMY_HASH
        ok = await asyncio.to_thread(_verify, stored, password[:MAX_PASSWORD])
        if account is None or not ok or account.disabled:
            return None
        if HASHER.check_needs_rehash(stored):
            await self.store.set_password_hash(
                account.id, await asyncio.to_thread(HASHER.hash, password))
        return account

    async def sign_in(self, account: AccountRecord, now: datetime) -> SignedIn:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        expires = now + timedelta(hours=SESSION_HOURS)
        await self.store.open_session(token, account.id, csrf, expires)
        return SignedIn(account, token, csrf, expires)

    async def change_password(self, account: AccountRecord, old: str, new: str,
                              keep_session: str) -> None:
        if not await asyncio.to_thread(_verify, account.password_hash, old[:MAX_PASSWORD]):
            raise StaffError("invalid_credentials")
        problem = check_password(new, account.username)
        if problem is not None:
            raise StaffError(problem.value)
        await self.store.set_password_hash(account.id, await asyncio.to_thread(HASHER.hash, new))
        await self.store.close_sessions(account.id, keep=keep_session)


def _verify(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def utcnow() -> datetime:
    return datetime.now(UTC)
