"""`make run` without DATABASE_URL serves the API from SQLite: the plain-SQL paths written for
it (lookups, change events, snapshots, keys) answer as on PostgreSQL."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from consent.times import PATTERN

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.subprocess
def test_the_api_answers_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"SQLITE_PATH": str(tmp_path / "db.sqlite3"), "CELERY_BROKER_URL": ""}
    env["SNAPSHOT_DIR"] = str(tmp_path / "snapshots")  # never the project's media folder
    script = (ROOT / "tests" / "api" / "sqlite_smoke.py").read_text()
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["statuses"] == [200] * 6
    lookup = out["lookup"]
    assert lookup["status"] == "registered"
    assert lookup["track"]["links"] == ["https://open.spotify.com/track/night"]
    assert lookup["policy"]["train-genai"]["value"] == "deny"
    assert lookup["policy"]["train-genai"]["source"]["level"] == "catalogue"
    assert out["by_id"] == "registered"
    assert out["batch"] == ["registered", "unregistered"]
    receipt = out["receipt"]  # read in one statement written for both databases
    assert receipt["sequence"] == 2
    assert receipt["log"]["size"] >= 1 and receipt["log"]["checkpoint"]
    assert receipt["as_of"] == lookup["as_of"]
    events = out["changes"]["events"]
    assert [e["sequence"] for e in events] == [1, 2]
    assert events[1]["policy"]["train-genai"] == "deny"
    assert PATTERN.fullmatch(events[1]["created_at"]), events[1]["created_at"]
    assert events[0]["track"]["id"] == lookup["track"]["id"]
    (row,) = out["snapshot"]
    assert out["sequence"] == "2"
    assert row["policy"] == lookup["policy"] and row["track"] == lookup["track"]
    assert out["compat"] == {
        "urls": [
            {
                "url": "https://open.spotify.com/track/night",
                "optOut": True,
                "optIn": False,
                "status": "registered",
                "normalized": "https://open.spotify.com/track/night",
            }
        ]
    }
