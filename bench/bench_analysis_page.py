"""Benchmark: the analysis page on the demo data, in a running process, after the data changed.

Run: ``.venv/bin/python -m bench.bench_analysis_page [--dir instance/bench]``.
Seeds the demo (``flask demo seed``) into ``<dir>/analysis-page.db`` once, then in one process signs in as
the demo manager and opens ``/analysis/?survey=visit-csat&period=<demo quarter>``:
(1) the first request of the process (templates compiled, aggregates caught up),
(2) the same page again (warm),
(3) after one new response arrived (the first time after the data changed — the issue's target: ≤ 1.5 s),
(4) again warm. Prints each wall time and the split of (3) between the report and the page.
"""

from __future__ import annotations

import argparse
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=ROOT / "instance" / "bench")
    parser.add_argument("--period", default="2026Q3")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / "analysis-page.db"
    url = f"sqlite:///{path}"

    from app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "QUARANTINE_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": None,
        }
    )
    from flask_migrate import upgrade

    started = time.perf_counter()
    with app.app_context():
        upgrade()  # migrates and, being idempotent, the demo seed only fills an empty database
        from app.demo import seed

        seed(log=lambda _msg: None)
    print(f"database ready in {time.perf_counter() - started:.1f} s ({path})")
    client = app.test_client()
    reply = client.post("/login", data={"email": "manager@otklik.demo", "password": "demo-manager-2026"})
    assert reply.status_code == 302, "the demo manager could not sign in"
    page = f"/analysis/?survey=visit-csat&period={args.period}"

    def timed(label: str) -> float:
        started = time.perf_counter()
        response = client.get(page)
        seconds = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        print(f"{label}: {seconds:.2f} s")
        return seconds

    timed("(1) first request of the process")
    timed("(2) warm")
    post = client.post(
        "/api/v1/surveys/visit-csat/responses",
        json={
            "client_submission_id": str(uuid.uuid4()),
            "center": "KUR",
            "channel": "online",
            "answers": {"overall": 4, "nps": 8},
        },
    )
    assert post.status_code in (200, 201), post.get_data(as_text=True)
    with app.test_request_context():
        from datetime import date

        from app.analysis.queries import parse_quarter
        from app.analysis.report import build_report

        quarter = parse_quarter(args.period)
        assert quarter is not None, f"not a quarter: {args.period}"
        started = time.perf_counter()
        build_report("visit-csat", quarter.start, quarter.end)
        report_seconds = time.perf_counter() - started
        assert isinstance(quarter.start, date)
    print(f"    (the report alone, after one new response: {report_seconds:.2f} s)")
    client.post(
        "/api/v1/surveys/visit-csat/responses",
        json={
            "client_submission_id": str(uuid.uuid4()),
            "center": "KUR",
            "channel": "online",
            "answers": {"overall": 5, "nps": 9},
        },
    )
    timed("(3) first time after the data changed (target ≤ 1.5 s)")
    timed("(4) warm again")


if __name__ == "__main__":
    main()
