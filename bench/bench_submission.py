"""The respondent's one-page submission in one process: server CPU per GET + POST, and where the POST goes.

Usage: ``python -m bench.bench_submission [definition.json] [--profile]``. Default definition: the
10-question form of the side-by-side run (``bench/data/peer-equivalent.json``). Builds a throwaway
SQLite database, publishes the survey and posts the same answers as the side-by-side's load client;
prints the median CPU time of the POST (and of the GET that precedes it) over ``BENCH_ROUNDS`` (2 000)
submissions and the pages each submission writes to SQLite's WAL (what its durable commit has to sync),
then with ``--profile`` the top of a cProfile of the POSTs.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from app import create_app
from app.extensions import db

ROOT = Path(__file__).resolve().parent
DEFAULT_DEFINITION = ROOT / "data" / "peer-equivalent.json"
ANSWERS: dict[str, Any] = {
    "product": "very_satisfied",
    "support": "satisfied",
    "price": "neutral",
    "docs": "dissatisfied",
    "nps": "9",
    "uses": "7",
    "channels": ["email", "in_person"],
    "features": ["reports", "alerts", "sharing"],
    "job": "Engineer",
    "comment": "The export is slow with large surveys, otherwise everything works well. " * 2,
}
HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|_state|client_submission_id|_page)"[^>]*value="([^"]*)"')


def _app(folder: str, definition: Path):
    from flask_migrate import upgrade

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "QUARANTINE_ENABLED": False,
        }
    )
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade(directory=str(ROOT.parent / "migrations"))
    for args in (["demo", "seed", "--org-only"], ["surveys", "import-definition", str(definition)]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    slug = json.loads(definition.read_text(encoding="utf-8"))["slug"]
    for args in (["surveys", "publish", slug], ["surveys", "assign", slug, "--centers", "KUR", "--channels", "online"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    with app.app_context():
        from app.surveys.models import SurveyAssignment

        code = db.session.scalars(db.select(SurveyAssignment.short_code)).first()
    return app, code


def _form(answers: dict[str, Any], hidden: dict[str, str]) -> str:
    fields = [*hidden.items(), ("_action", "submit")]
    for key, value in answers.items():
        fields += [(key, v) for v in value] if isinstance(value, list) else [(key, value)]
    return urlencode(fields)


def _cycle(client, url: str, answers: dict[str, Any]) -> tuple[float, float]:
    """One visitor: GET the form, POST the answers; (GET, POST) process CPU seconds."""
    client.delete_cookie("session")
    t0 = time.process_time()
    page = client.get(url)
    t1 = time.process_time()
    hidden = dict(HIDDEN.findall(page.get_data(as_text=True)))
    t2 = time.process_time()
    posted = client.post(url, data=_form(answers, hidden), content_type="application/x-www-form-urlencoded")
    t3 = time.process_time()
    assert posted.status_code in (200, 302, 303) and b"survey-thanks" in posted.data, posted.status_code
    return t1 - t0, t3 - t2


def _wal_pages(path: Path, client, url: str, cycles: int = 30) -> float:
    """Pages appended to the WAL per GET + POST, from an emptied WAL (fewer cycles than fill a checkpoint)."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    wal = path.with_name(path.name + "-wal")
    for _ in range(cycles):
        _cycle(client, url, ANSWERS)
    frames = (wal.stat().st_size - 32) / (page_size + 24)  # WAL header 32 bytes, frame header 24
    return frames / cycles


def main(argv: list[str]) -> None:
    profile = "--profile" in argv
    paths = [a for a in argv if not a.startswith("--")]
    definition = Path(paths[0]) if paths else DEFAULT_DEFINITION
    rounds = int(os.environ.get("BENCH_ROUNDS", "2000"))
    with tempfile.TemporaryDirectory() as folder:
        app, code = _app(folder, definition)
        client = app.test_client()
        url = f"/s/{code}"
        for _ in range(50):
            _cycle(client, url, ANSWERS)
        times = [_cycle(client, url, ANSWERS) for _ in range(rounds)]
        get_ms = statistics.median(t[0] for t in times) * 1000
        post_ms = statistics.median(t[1] for t in times) * 1000
        print(f"GET {get_ms:.2f} ms, POST of {len(ANSWERS)} answers {post_ms:.2f} ms of CPU (median of {rounds})")
        print(f"WAL pages written per submission: {_wal_pages(Path(folder) / 'bench.db', client, url):.1f}")
        if profile:
            profiler = cProfile.Profile()
            for _ in range(rounds // 4):
                client.delete_cookie("session")
                page = client.get(url)
                hidden = dict(HIDDEN.findall(page.get_data(as_text=True)))
                profiler.enable()
                client.post(url, data=_form(ANSWERS, hidden), content_type="application/x-www-form-urlencoded")
                profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main(sys.argv[1:])
