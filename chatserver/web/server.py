"""Everything the web layer reaches: the core service and the features, as wired by app.py.

The HTTP endpoints (admin, sessions, reports, one-to-one, groups) are the edge of several
features at once, so they see the whole composition; the features themselves never do (they
get only `core.ports.RoomAccess` and their own collaborators).
"""

from __future__ import annotations

from dataclasses import dataclass

from chatserver.broker.base import Broker
from chatserver.core.alerts import AlertInbox
from chatserver.core.crisis import CrisisResources
from chatserver.core.rooms import RoomDirectory
from chatserver.core.safety import Safety
from chatserver.core.service import ChatService
from chatserver.core.session_gate import SessionGate
from chatserver.core.staff import StaffService
from chatserver.domain.config import Settings
from chatserver.features.agency import Agency
from chatserver.features.moderating import Moderator
from chatserver.features.one_to_one.service import OneToOne
from chatserver.features.sessions import SessionService
from chatserver.storage.store import Store


@dataclass(frozen=True, slots=True)
class Server:
    settings: Settings
    store: Store
    broker: Broker
    directory: RoomDirectory
    staff: StaffService
    chat: ChatService
    crisis: CrisisResources
    safety: Safety
    gate: SessionGate
    mod: Moderator
    agency: Agency
    sessions: SessionService
    one_to_one: OneToOne
    alerts: AlertInbox
