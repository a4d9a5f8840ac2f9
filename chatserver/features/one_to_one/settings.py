"""One-to-one support's settings as admins saved them (who may support, opening hours, the
questions asked before a conversation), cached until an `oo_settings` control event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chatserver.core.hub import Client
from chatserver.domain import queueing
from chatserver.storage.staff import AccountRecord
from chatserver.storage.store import Store
from moderation import permissions
from moderation.permissions import Action
from moderation.types import Role

SETTINGS_KEY = "one_to_one"


class SupportSettings:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._settings: dict[str, Any] | None = None

    async def current(self) -> dict[str, Any]:
        if self._settings is None:
            stored = await self._store.app_setting(SETTINGS_KEY)
            self._settings = stored if isinstance(stored, dict) else {}
        return self._settings

    def forget(self) -> None:
        self._settings = None

    async def may_support(self, account: AccountRecord) -> bool:
        """Whether this staff account may give one-to-one support (admins, and the
        facilitators an admin has made supporters)."""
        supporters = (await self.current()).get("supporters", [])
        actor = permissions.Actor(Role(account.role), account.rooms, account.disabled,
                                  one_to_one=account.id in supporters)
        return permissions.may(actor, Action.SUPPORT_ONE_TO_ONE)

    async def is_supporter(self, client: Client) -> bool:
        return client.staff is not None and await self.may_support(client.staff)

    async def opening(self) -> queueing.Opening:
        hours = queueing.parse_hours((await self.current()).get("hours"))
        return queueing.opening(hours, datetime.now(UTC))
