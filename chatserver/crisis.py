"""Crisis resources shown to a participant at once, in their language (domain notes)."""

from __future__ import annotations

from typing import Any

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


def resources_frame(room: str) -> dict[str, Any]:
    """Sent privately; the client shows the texts in its own language."""
    return {"type": "crisis_resources", "room": room, "resources": DEFAULT_RESOURCES}
