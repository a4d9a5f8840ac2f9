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
from zxcvbn import zxcvbn
from zxcvbn.matching import add_frequency_lists

from chatserver.storage.staff import AccountRecord, StaffStore

HASHER = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
MIN_PASSWORD = 12
MAX_PASSWORD = 256
SESSION_HOURS = 12
_DATA = Path(__file__).parent / "data"
_COMMON = frozenset(
    line.strip().casefold()
    for line in (_DATA / "common_passwords.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#"))
# zxcvbn knows English words, names and leaked passwords; the people who choose passwords
# here think in Finnish and Swedish too (the most frequent words, data/README.md).
add_frequency_lists({
    "finnish": (_DATA / "words_fi.txt").read_text(encoding="utf-8").split(),
    "swedish": (_DATA / "words_sv.txt").read_text(encoding="utf-8").split(),
    "local_passwords": sorted(_COMMON)})
# zxcvbn's 0-4: 3 is "safely unguessable" (about 10^8 guesses or more), its own advice for a
# password kept as a slow hash.
MIN_SCORE = 3
ZXCVBN_MAX = 72  # zxcvbn's own input limit; the first 72 characters being strong is enough
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
    TOO_WEAK = "password_too_weak"


class WeakBecause(StrEnum):
    """What makes a password easy to guess, as zxcvbn found it: the admin UI says what to do
    about each (static/i18n: error.password_weak_*)."""

    COMMON_PASSWORD = "common_password"  # a well-known password, or part of one
    COMMON_WORDS = "common_words"  # everyday words (Finnish, Swedish, English)
    NAMES = "names"  # first names or surnames
    PERSONAL = "personal"  # the username or the display name
    KEYBOARD = "keyboard_pattern"  # qwerty, asdf...
    REPEATS = "repeats"  # aaaa, abcabc
    SEQUENCE = "sequence"  # abcd, 1234
    DATES = "dates"  # a year or a date
    PREDICTABLE = "predictable"  # short, or otherwise guessable


def check_password(password: str, username: str = "", display_name: str = ""
                   ) -> tuple[PasswordProblem, WeakBecause | None] | None:
    """None for an acceptable password, else the problem (and for a weak one, why)."""
    if len(password) < MIN_PASSWORD:
        return PasswordProblem.TOO_SHORT, None
    if len(password) > MAX_PASSWORD:
        return PasswordProblem.TOO_LONG, None
    folded = unicodedata.normalize("NFKC", password).casefold()
    if folded in _COMMON or len(set(folded)) < 4:
        return PasswordProblem.TOO_COMMON, None
    if username and len(username) >= 3 and username.casefold() in folded:
        return PasswordProblem.CONTAINS_USERNAME, None
    inputs = [w for w in (username, *display_name.split()) if len(w) >= 3]
    result = zxcvbn(password[:ZXCVBN_MAX], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return None
    return PasswordProblem.TOO_WEAK, _weakness(result["sequence"])


_DICTIONARIES = {"passwords": WeakBecause.COMMON_PASSWORD,
                 "local_passwords": WeakBecause.COMMON_PASSWORD,
                 "user_inputs": WeakBecause.PERSONAL, "male_names": WeakBecause.NAMES,
                 "female_names": WeakBecause.NAMES, "surnames": WeakBecause.NAMES}
_PATTERNS = {"spatial": WeakBecause.KEYBOARD, "repeat": WeakBecause.REPEATS,
             "sequence": WeakBecause.SEQUENCE, "date": WeakBecause.DATES,
             "regex": WeakBecause.DATES}


def _weakness(sequence: list[dict[str, object]]) -> WeakBecause:
    """The reason of the guessable part that covers most of the password."""
    found = [m for m in sequence if m.get("pattern") != "bruteforce"]
    if not found:
        return WeakBecause.PREDICTABLE
    longest = max(found, key=lambda m: len(str(m.get("token", ""))))
    if longest.get("pattern") == "dictionary":
        return _DICTIONARIES.get(str(longest.get("dictionary_name")), WeakBecause.COMMON_WORDS)
    return _PATTERNS.get(str(longest.get("pattern")), WeakBecause.PREDICTABLE)


def normalise_username(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().casefold()


class StaffError(Exception):
    def __init__(self, code: str, reason: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.reason = reason  # a stable code: why a password is weak


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
        problem = check_password(password, username, display_name)
        if problem is not None:
            raise StaffError(problem[0].value, problem[1] and problem[1].value)
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
        problem = check_password(new, account.username, account.display_name)
        if problem is not None:
            raise StaffError(problem[0].value, problem[1] and problem[1].value)
        await self.store.set_password_hash(account.id, await asyncio.to_thread(HASHER.hash, new))
        await self.store.close_sessions(account.id, keep=keep_session)


def _verify(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def utcnow() -> datetime:
    return datetime.now(UTC)
