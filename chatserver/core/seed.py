"""Example rooms for a first start, so `make run` shows a working product."""

from __future__ import annotations

from chatserver.storage.store import Store

EXAMPLE_ROOMS = [
    {
        "id": "olohuone",
        "names": {"fi": "Olohuone", "sv": "Vardagsrummet", "en": "The living room"},
        "descriptions": {
            "fi": "Avoin keskustelu kaikille. Voit myös vain lukea.",
            "sv": "Fri diskussion för alla. Du kan också bara läsa.",
            "en": "An open discussion for everyone. You can also just read.",
        },
        "kind": "unguided", "access": "drop_in", "capacity": 100,
        "retention": "days", "retention_days": 30, "position": 1,
    },
    {
        "id": "laheiset",
        "names": {"fi": "Läheisten ilta", "sv": "Kväll för anhöriga",
                  "en": "Evening for relatives and friends"},
        "descriptions": {
            "fi": "Ohjattu vertaistukiryhmä läheisille. Kokemusasiantuntija ohjaa.",
            "sv": "Handledd kamratstödsgrupp för anhöriga. En erfarenhetsexpert leder.",
            "en": "A guided peer-support group for relatives, led by an experience expert.",
        },
        "kind": "guided", "access": "drop_in", "capacity": 12,
        "retention": "session", "retention_days": None, "position": 2,
    },
]


async def seed_example_rooms(store: Store) -> int:
    """Insert the example rooms if there are no rooms at all; safe from many processes."""
    if await store.count_rooms():
        return 0
    return sum([await store.add_room(**room) for room in EXAMPLE_ROOMS])
