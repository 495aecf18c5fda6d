"""`make run`'s SQLite takes "How sure are you?" on the transactional save path too."""

import json

from .conftest import run_python


def test_confidence_is_saved_changed_kept_from_stale_retries_and_refused_when_not_asked(
    sqlite_db,
):
    result = run_python(
        ["tests/embedded/confidence_saves.py"], sqlite_db, ALLOWED_HOSTS="testserver"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["asks"] == [True, False]  # the seeded practice asks, the mock does not
    assert report["codes"] == [200, 200, 200, 400], result.stderr[-3000:]
    assert report["confidence"] == "guess"
    assert report["saves"] == ["sure", "guess"]
    assert report["empty"] == [200, "unsure", True]
    assert report["refused"][0] == 400
    assert "does not ask how sure you are" in report["refused"][1]
    assert report["mock_confidence"] == ""
