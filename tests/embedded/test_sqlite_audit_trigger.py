"""The attempt audit log is append-only on SQLite too (triggers from exams migration 0006)."""

import sqlite3

import pytest


@pytest.fixture
def events_db(sqlite_db):
    connection = sqlite3.connect(sqlite_db)
    # Foreign keys stay off on a raw connection, so an event needs no attempt row here.
    connection.execute(
        "INSERT INTO exams_attemptevent (attempt_id, kind, at, detail) "
        "VALUES (1, 'start', '2026-01-01 10:00:00', '{}')"
    )
    connection.commit()
    yield connection
    connection.close()


def test_appending_an_event_works(events_db):
    events_db.execute(
        "INSERT INTO exams_attemptevent (attempt_id, kind, at, detail) "
        "VALUES (1, 'save', '2026-01-01 10:01:00', '{}')"
    )
    assert events_db.execute("SELECT count(*) FROM exams_attemptevent").fetchone() == (2,)


def test_updating_an_event_is_refused(events_db):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        events_db.execute("UPDATE exams_attemptevent SET kind = 'submit'")
    assert events_db.execute("SELECT kind FROM exams_attemptevent").fetchall() == [("start",)]


def test_deleting_an_event_is_refused(events_db):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        events_db.execute("DELETE FROM exams_attemptevent")
    assert events_db.execute("SELECT count(*) FROM exams_attemptevent").fetchone() == (1,)
