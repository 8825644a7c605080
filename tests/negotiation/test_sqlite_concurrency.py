"""The embedded default (`make demo`: SQLite, in-memory layer, in-process generation) holds a
crowd: many buyers signing up, opening chats and haggling at once through the real services on
a file database get no `database is locked` and lose no message or reply.

Before, SQLite ran with its defaults (rollback journal, deferred transactions): two transactions
that read before writing deadlocked on upgrading their locks and one failed at once, and a reader
blocked every writer; eight buyers at once were enough for `server_error`s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUYERS, MESSAGES = 30, 3


def test_a_crowd_of_buyers_on_a_file_sqlite_database_gets_no_error_and_loses_nothing(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.negotiation.sqlite_crowd",
            str(tmp_path / "db.sqlite3"),
            str(BUYERS),
            str(MESSAGES),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["errors"] == []
    assert result["buyer_messages"] == BUYERS * MESSAGES
    assert result["replies"] == BUYERS * MESSAGES
