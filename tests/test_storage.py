"""The store on SQLite and on PostgreSQL: migrations, idempotent event writes, queries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from chatserver.core.seed import seed_example_rooms
from chatserver.storage.migrate import migrate
from chatserver.storage.store import Store, StoredEvent, hash_token


@pytest.fixture
async def store(database_url):
    await migrate(database_url)
    await migrate(database_url)  # a second run changes nothing
    s = Store.from_url(database_url)
    await seed_example_rooms(s)
    yield s
    await s.close()


def ev(seq: int, *, room: str = "olohuone", days_ago: float = 0, kind: str = "message"):
    return StoredEvent(room_id=room, seq=seq, kind=kind, member="m1",
                       created_at=datetime.now(UTC) - timedelta(days=days_ago),
                       frame=f'{{"seq":{seq},"type":"{kind}"}}')


async def test_seed_is_idempotent_and_rooms_are_listed(store):
    assert await seed_example_rooms(store) == 0
    rooms = await store.list_rooms()
    assert [r.id for r in rooms] == ["olohuone", "laheiset"]
    assert {r.kind for r in rooms} == {"guided", "unguided"}
    assert rooms[0].names["sv"] == "Vardagsrummet"


async def test_events_are_written_once_and_read_in_order(store):
    await store.insert_events([ev(3), ev(1), ev(2)])
    await store.insert_events([ev(2), ev(3), ev(4)])  # a batch replayed after a crash
    assert [s for s, _ in await store.events_after("olohuone", 0)] == [1, 2, 3, 4]
    assert [s for s, _ in await store.events_after("olohuone", 1, before=4)] == [2, 3]
    assert [s for s, _ in await store.last_events("olohuone", 2)] == [3, 4]
    assert [s for s, _ in await store.last_events("olohuone", 2, before=3)] == [1, 2]
    assert await store.max_seq("olohuone") == 4
    room = await store.get_room("olohuone")
    assert room is not None and room.last_seq == 4
    assert (await store.events_after("olohuone", 0))[0][1] == '{"seq":1,"type":"message"}'


async def test_a_batch_from_several_rooms_raises_each_rooms_mark_and_never_lowers_it(store):
    """One batch holds the events of many small rooms (the writer's group commit): each room
    gets its own events and its own high-water mark, and a replayed older batch lowers none."""
    await store.insert_events([ev(1), ev(1, room="laheiset"), ev(2, room="laheiset"), ev(2)])
    await store.insert_events([ev(3, room="laheiset")])
    await store.insert_events([ev(1), ev(2, room="laheiset")])  # replayed after a crash
    assert [s for s, _ in await store.events_after("olohuone", 0)] == [1, 2]
    assert [s for s, _ in await store.events_after("laheiset", 0)] == [1, 2, 3]
    marks = {r: (await store.get_room(r)) for r in ("olohuone", "laheiset")}
    assert {r: room.last_seq for r, room in marks.items() if room} == {
        "olohuone": 2, "laheiset": 3}


async def test_retention_by_days_and_by_room(store):
    await store.insert_events([ev(1, days_ago=40), ev(2, days_ago=29), ev(3)])
    await store.insert_events([ev(1, room="laheiset", days_ago=400)])
    assert await store.purge_expired(datetime.now(UTC)) == 1  # olohuone keeps 30 days
    assert [s for s, _ in await store.events_after("olohuone", 0)] == [2, 3]
    assert await store.count_events("laheiset") == 1  # session retention: not by age
    assert await store.delete_room_events("laheiset") == 1
    assert await store.count_events("laheiset") == 0


async def test_retention_over_many_rooms_and_lengths_marks_each_room(store, monkeypatch):
    """The sweep reads and deletes many rooms per statement (issue 20): rooms of different
    lengths each keep their own days, a room with nothing old is left alone, and each purged
    room remembers the highest number removed (a resume from before it is incomplete)."""
    import chatserver.storage.store as store_module

    monkeypatch.setattr(store_module, "_ROOMS_PER_STATEMENT", 2)  # several chunks per length
    for name, days in [("viikko1", 7), ("viikko2", 7), ("viikko3", 7), ("kuukausi", 30)]:
        await store.add_room(id=name, names={"fi": name}, descriptions={"fi": ""},
                             kind="unguided", access="drop_in", capacity=10,
                             retention="days", retention_days=days, position=9)
    await store.insert_events([ev(1, room="viikko1", days_ago=8), ev(2, room="viikko1", days_ago=8),
                               ev(3, room="viikko1", days_ago=6)])
    await store.insert_events([ev(1, room="viikko2", days_ago=1)])
    await store.insert_events([ev(4, room="viikko3", days_ago=20), ev(5, room="viikko3")])
    await store.insert_events([ev(1, room="kuukausi", days_ago=20),
                               ev(2, room="kuukausi", days_ago=31)])
    assert await store.purge_expired(datetime.now(UTC)) == 4
    remaining = {room: [s for s, _ in await store.events_after(room, 0)]
                 for room in ("viikko1", "viikko2", "viikko3", "kuukausi")}
    assert remaining == {"viikko1": [3], "viikko2": [1], "viikko3": [5], "kuukausi": [1]}
    marks = {room: await store.purged_seq(room)
             for room in ("viikko1", "viikko2", "viikko3", "kuukausi")}
    assert marks == {"viikko1": 2, "viikko2": 0, "viikko3": 4, "kuukausi": 2}


async def test_identity_tokens_are_stored_only_as_hashes(store):
    record = await store.create_identity("id-1", "secret-token-value", "Tyyni Saukko", "fi")
    assert record.pseudonym == "Tyyni Saukko"
    found = await store.identity_by_token("secret-token-value")
    assert found is not None and found.id == "id-1"
    assert await store.identity_by_token("other") is None
    await store.set_pseudonym("id-1", "Oma Nimi", chosen=True)
    again = await store.identity_by_token("secret-token-value")
    assert again is not None and (again.pseudonym, again.pseudonym_chosen) == ("Oma Nimi", True)
    from sqlalchemy import text

    async with store.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT token_hash FROM identities"))).all()
    assert rows == [(hash_token("secret-token-value"),)]
    assert "secret-token-value" not in str(rows)


async def test_shared_secret_is_the_same_for_every_caller(store, database_url):
    first = await store.shared_secret("member_ids")
    other = Store.from_url(database_url)
    try:
        assert await other.shared_secret("member_ids") == first
    finally:
        await other.close()
    assert len(first) >= 40


async def test_retention_purges_old_events_and_unused_identities(store):
    from chatserver.core.maintenance import apply_retention
    from chatserver.domain.config import Settings

    await store.insert_events([ev(1, days_ago=31), ev(2)])
    await store.create_identity("old", "tok-old", "Vanha Kettu", "fi")
    await store.create_identity("new", "tok-new", "Uusi Kettu", "fi")
    later = datetime.now(UTC) + timedelta(days=200)
    settings = Settings.from_env({"IDENTITY_RETENTION_DAYS": "180"})
    await store.identity_by_token("tok-new")  # used today: kept
    events, identities = await apply_retention(store, settings, datetime.now(UTC))
    assert (events, identities) == (1, 0)
    events, identities = await apply_retention(store, settings, later)
    assert identities == 2  # both unused for 200 days at that moment
    assert await store.identity_by_token("tok-old") is None


async def test_a_person_coming_back_keeps_their_identity_past_retention(store):
    """Retention purges identities by their day of last use: someone who comes back after
    ten days (a week's retention here) keeps their pseudonym; someone who does not, does not."""
    from sqlalchemy import update

    from chatserver.core.identities import Identities
    from chatserver.core.maintenance import apply_retention
    from chatserver.domain.config import Settings
    from chatserver.storage.models import Identity

    await store.create_identity("back", "tok-back", "Tyyni Saukko", "fi")
    await store.create_identity("away", "tok-away", "Vanha Kettu", "fi")
    async with store.engine.begin() as conn:
        await conn.execute(update(Identity).values(
            last_seen_on=datetime.now(UTC) - timedelta(days=10)))
    before = await store.identity_by_token("tok-back")
    assert before is not None and not before.seen_today
    identities = Identities(store, "secret")
    identities.start()
    try:
        found = await identities.resolve("tok-back")
    finally:
        await identities.close()
    assert found is not None and (found.id, found.pseudonym) == ("back", "Tyyni Saukko")
    settings = Settings.from_env({"IDENTITY_RETENTION_DAYS": "7"})
    _, purged = await apply_retention(store, settings, datetime.now(UTC))
    assert purged == 1
    kept = await store.identity_by_token("tok-back")
    assert kept is not None and kept.seen_today
    assert await store.identity_by_token("tok-away") is None


async def test_retention_running_twice_at_once_keeps_the_highest_mark(store):
    """A session's close and the retention sweep can purge the same room at the same moment
    (they did, and the facilitator's close failed with an integrity error)."""
    await asyncio.gather(*(store.mark_purged("laheiset", seq) for seq in (5, 9, 7, 3)))
    assert await store.purged_seq("laheiset") == 9
    await asyncio.gather(store.mark_purged("laheiset", 4), store.mark_purged("laheiset", 12))
    assert await store.purged_seq("laheiset") == 12
    await asyncio.gather(*(store.set_app_setting("x", n) for n in range(4)))
    assert await store.app_setting("x") in range(4)


async def test_the_migrations_build_exactly_the_schema_the_models_describe(database_url):
    """A column, index or type the models have and no migration made (or the other way round)
    would work in tests that create tables from the models and fail on a production database
    built by the migrations."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from chatserver.storage.models import Base
    from chatserver.storage.store import make_engine

    await migrate(database_url)
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            drift = await conn.run_sync(lambda sync: compare_metadata(
                MigrationContext.configure(sync), Base.metadata))
    finally:
        await engine.dispose()
    assert drift == []


async def test_what_a_join_reads_and_writes_answers_the_same_on_both_databases(store):
    """The join's own reads and writes (through the plain driver since issue 20): the
    sharing round a latecomer is shown, attendance counted once however often someone comes
    back, ground rules accepted once even from two tabs at once, a closed group's name."""
    from chatserver.storage.rules import RulesStore
    from chatserver.storage.sessions import SessionStore

    sessions, rules = SessionStore(store), RulesStore(store)
    assert await sessions.get_round("olohuone") is None
    state = {"active": True, "turn": {"member": "m1", "name": "Tyyni Saukko"},
             "raised": ["m2"], "passed": []}
    await sessions.change_round("olohuone", lambda _: state)
    assert await sessions.get_round("olohuone") == state

    now = datetime.now(UTC)
    session = await sessions.add_session("olohuone", now, now + timedelta(hours=1))
    for _ in range(3):  # a reconnect, a second tab
        await sessions.attend(session.id, "m1")
    await sessions.attend(session.id, "m2")
    assert await sessions.attended(session.id, "m1")
    await sessions.finish_counts(session, now)
    assert (await sessions.get(session.id)).attendance == 2

    assert not await rules.accepted("olohuone", "m1", "v1")
    await asyncio.gather(*(rules.accept("olohuone", "m1", "v1") for _ in range(2)))
    assert await rules.accepted("olohuone", "m1", "v1")
    assert not await rules.accepted("olohuone", "m1", "v2")  # changed rules: asked again

    await sessions.add_invite("olohuone", "koodi-1", "sanna", now + timedelta(days=1))
    assert await sessions.group_pseudonym("olohuone", "id-1") is None
    assert await sessions.redeem("koodi-1", "id-1", "Ryhmän Nimi", now) == "olohuone"
    assert await sessions.group_pseudonym("olohuone", "id-1") == "Ryhmän Nimi"
