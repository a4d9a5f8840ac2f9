"""Crisis resources shown to a participant at once, in their language (domain notes)."""

from __future__ import annotations

from typing import Any

from chatserver.storage.errors import DatabaseError
from chatserver.storage.store import Store

# Seeded defaults; hours change, so admins must be able to edit them (see docs/moderation.md).
DEFAULT_RESOURCES: list[dict[str, Any]] = [
    {"id": "emergency", "phone": "112",
     "name": {"fi": "Hätänumero", "sv": "Nödnumret", "en": "Emergency number"},
     "when": {"fi": "Välitön vaara tai vakava itsemurha-ajatus", "sv":
              "Omedelbar fara eller allvarliga självmordstankar", "en":
              "Immediate danger or serious thoughts of suicide"},
     "hours": {"fi": "aina", "sv": "alltid", "en": "always"}},
    {"id": "mieli-fi", "phone": "09 2525 0111",
     "name": {"fi": "MIELI ry:n Kriisipuhelin (suomeksi)",
              "sv": "MIELI rf:s Kristelefon (på finska)",
              "en": "MIELI Crisis Helpline (in Finnish)"},
     "hours": {"fi": "ympäri vuorokauden", "sv": "dygnet runt", "en": "around the clock"}},
    {"id": "mieli-sv", "phone": "09 2525 0112",
     "name": {"fi": "MIELI ry:n Kriisipuhelin (ruotsiksi)",
              "sv": "MIELI rf:s Kristelefon (på svenska)",
              "en": "MIELI Crisis Helpline (in Swedish)"},
     "hours": {"fi": "katso aukioloajat", "sv": "se öppettiderna", "en": "see opening hours"}},
    {"id": "mieli-en", "phone": "09 2525 0113",
     "name": {"fi": "MIELI ry:n Kriisipuhelin (englanniksi ja arabiaksi)",
              "sv": "MIELI rf:s Kristelefon (på engelska och arabiska)",
              "en": "MIELI Crisis Helpline (in English and Arabic)"},
     "hours": {"fi": "arkisin, katso aukioloajat", "sv": "vardagar, se öppettiderna",
               "en": "weekdays, see opening hours"}},
]


LANGS = ("fi", "sv", "en")


class ResourcesError(ValueError):
    """The edited list is not usable; the message says which entry and field."""


def validate(resources: Any) -> list[dict[str, Any]]:
    """Check an admin's edited list: each entry has an id, a phone number, and a name in every
    UI language; hours and when-to-call texts are optional but per language."""
    if not isinstance(resources, list) or not 1 <= len(resources) <= 20:
        raise ResourcesError("resources must be a list of 1 to 20 entries")
    out = []
    for i, entry in enumerate(resources):
        if not isinstance(entry, dict):
            raise ResourcesError(f"entry {i} is not an object")
        clean: dict[str, Any] = {}
        for key in ("id", "phone"):
            value = entry.get(key)
            if not isinstance(value, str) or not 1 <= len(value) <= 40:
                raise ResourcesError(f"entry {i}: {key} must be text of 1 to 40 characters")
            clean[key] = value
        for key in ("name", "hours", "when"):
            texts = entry.get(key)
            if texts is None and key != "name":
                continue
            if not isinstance(texts, dict) or set(texts) != set(LANGS) or not all(
                    isinstance(t, str) and 0 < len(t) <= 200 for t in texts.values()):
                raise ResourcesError(f"entry {i}: {key} needs a text in fi, sv and en")
            clean[key] = dict(texts)
        out.append(clean)
    return out


def resources_frame(room: str, resources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Sent privately; the client shows the texts in its own language."""
    return {"type": "crisis_resources", "room": room,
            "resources": resources if resources is not None else DEFAULT_RESOURCES}


class CrisisResources:
    """The crisis resources as admins last edited them (or the seeded defaults), cached until a
    `resources_changed` control event says they changed."""

    SETTING = "crisis_resources"

    def __init__(self, store: Store) -> None:
        self._store = store
        self._resources: list[dict[str, Any]] | None = None
        self._last: list[dict[str, Any]] = DEFAULT_RESOURCES  # the last ones read

    async def current(self) -> list[dict[str, Any]]:
        """The lines; with the database away, the last ones read (never nothing: a person in
        crisis is shown lines whatever else fails), and read again next time."""
        if self._resources is None:
            try:
                stored = await self._store.app_setting(self.SETTING)
            except (DatabaseError, OSError):
                return self._last
            self._resources = stored if isinstance(stored, list) else DEFAULT_RESOURCES
            self._last = self._resources
        return self._resources

    def forget(self, _event: dict[str, Any] | None = None) -> None:
        """Read them again next time (another process saved new ones)."""
        self._resources = None

    def phones(self) -> list[str]:
        """The phone numbers shown to people, without waiting: the last ones read (the seeded
        ones before the first read). Every message's screen allows them."""
        return [str(r.get("phone", "")) for r in self._resources or self._last]

    async def frame(self, room: str) -> dict[str, Any]:
        """The private `crisis_resources` frame for a room ("" outside rooms)."""
        return resources_frame(room, await self.current())
