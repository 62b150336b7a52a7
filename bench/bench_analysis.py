"""Benchmark: the quarterly JSON satisfaction report on 10k, 100k and 1M responses × 10 questions.

Run: ``.venv/bin/python -m bench.bench_analysis [--sizes 10000 100000 1000000] [--dir DIR]``.
For each size it builds (or reuses, in ``--dir``) a SQLite database with the demo organisation tree,
40 centres and the «Оценка визита в ЦОК» survey plus two extra questions (10 answers per response),
inserts the responses over four quarters (2025Q4–2026Q3) with ``app.surveys.synthetic``. Then, each in
its own child process (wall time, CPU time and peak memory = the child's ru_maxrss):

1. ``refresh_aggregates()`` — the daily/monthly counts catch up with everything stored since the last
   refresh; on a freshly loaded database that is the one-off catch-up after a bulk load, as cron
   (``flask analysis refresh``) would run it (``--reset-aggregates`` empties the counts first);
2. the 2026Q3 report for the whole company (its own incremental refresh finds nothing new).

Targets on a 2-core machine for 1M: report < 10 s and < 1.5 GB.
``--sample-cap`` sets ``ANALYSIS_SAMPLE_CAP`` (responses read for the driver analysis; default 20 000).
With ``BENCH_PG_URL`` set (an empty PostgreSQL database it may wipe), the same runs on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CENTERS = 40
START, END = date(2025, 10, 1), date(2026, 9, 30)
REPORT = (date(2026, 7, 1), date(2026, 9, 30))


def _app(url: str, sample_cap: int | None = None):
    from app import create_app

    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    if sample_cap:
        config["ANALYSIS_SAMPLE_CAP"] = sample_cap
    return create_app(config)


def definition() -> dict:
    """visit-csat with two more questions so that a response has 10 answers (the text one sometimes)."""
    path = ROOT / "app" / "surveys" / "library" / "visit-csat.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["pages"][-1]["questions"].insert(
        0, {"code": "info", "type": "rating", "scale": {"min": 1, "max": 5}, "text": {"ru": "Информация на стендах"}}
    )
    doc["pages"][-1]["questions"].insert(
        1, {"code": "returning", "type": "yes_no", "text": {"ru": "Вы обращались к нам раньше?"}}
    )
    return doc


def build(url: str, n: int) -> float:
    """Create the schema and insert n responses; returns the seconds spent inserting."""
    from sqlalchemy import text

    from app.database import write_transaction
    from app.extensions import db

    app = _app(url)
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        db.create_all()
        from app.demo import seed
        from app.org.services import centers
        from app.surveys.models import Survey, SurveyVersion
        from app.surveys.synthetic import generate_responses

        seed(org_only=True, log=lambda _m: None)
        with write_transaction():
            survey = Survey(slug="visit-csat", title="Оценка визита в ЦОК", is_main=True)
            version = SurveyVersion(number=1, status="published", definition=definition())
            survey.versions.append(version)
            db.session.add(survey)
        chosen = centers()[:CENTERS]
        if "LGV" not in {c.code for c in chosen}:
            chosen = chosen[:-1] + [c for c in centers() if c.code == "LGV"]
        started = time.perf_counter()
        generate_responses(version, chosen, START, END, n, seed=11)
        if url.startswith("postgresql"):
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        return time.perf_counter() - started


def refresh_child(url: str, reset: bool) -> None:
    """Runs in a child process: bring the aggregate tables up to date and print seconds and peak KB."""
    from sqlalchemy import delete

    from app.analysis.aggregates import refresh_aggregates
    from app.analysis.models import AggregateWatermark, AnswerDailyCount, AnswerMonthlyCount, ResponseDailyCount
    from app.database import write_transaction
    from app.extensions import db

    app = _app(url)
    with app.app_context():
        db.create_all()  # the aggregate tables, on databases built before they existed
        if reset:
            with write_transaction():
                for table in (AnswerDailyCount, AnswerMonthlyCount, ResponseDailyCount, AggregateWatermark):
                    db.session.execute(delete(table))
        started, cpu = time.perf_counter(), time.process_time()
        done = refresh_aggregates()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kb": peak_kb, "counted": sum(done.values())}))


def report_child(url: str, sample_cap: int | None) -> None:
    """Runs in the child process: build the quarterly report and print seconds, peak KB and n."""
    from app.analysis.report import build_report

    app = _app(url, sample_cap)
    with app.app_context():
        started, cpu = time.perf_counter(), time.process_time()
        report = build_report("visit-csat", *REPORT)
        body = json.dumps(report.model_dump(mode="json"), ensure_ascii=False, allow_nan=False)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "peak_kb": peak_kb,
                "n_responses": report.n_responses,
                "json_bytes": len(body),
                "drivers_n": report.drivers.n,
                "capped": report.methods.sample_capped,
                "top": [report.recommendations[0].center, report.recommendations[0].question]
                if report.recommendations
                else None,
            }
        )
    )


def _child(*args: str) -> dict:
    output = subprocess.run(
        [sys.executable, "-m", "bench.bench_analysis", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--dir",
        type=Path,
        default=ROOT / "instance" / "bench",
        help="where the SQLite databases live (reused when present)",
    )
    parser.add_argument("--sample-cap", type=int, default=20_000, help="ANALYSIS_SAMPLE_CAP for the report")
    parser.add_argument(
        "--reset-aggregates",
        action="store_true",
        help="empty the aggregate tables first, so that the refresh is a full catch-up",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--refresh-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        report_child(args.child, args.sample_cap)
        return
    if args.refresh_child:
        refresh_child(args.refresh_child, args.reset_aggregates)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    targets = [("sqlite", size, f"sqlite:///{args.dir / f'analysis-{size}.db'}") for size in args.sizes]
    if os.environ.get("BENCH_PG_URL"):
        targets += [("postgresql", size, os.environ["BENCH_PG_URL"]) for size in args.sizes]
    print(
        f"{'database':<11}{'responses':>11}{'in period':>11}{'insert s':>10}{'refresh s':>10}{'(cpu)':>7}"
        f"{'rfr MB':>8}{'report s':>10}{'(cpu)':>7}{'peak MB':>9}{'drivers n':>11}  top recommendation"
    )
    for kind, size, url in targets:
        path = args.dir / f"analysis-{size}.db"
        insert_seconds = None
        if kind == "postgresql" or not path.exists():
            if path.exists():
                path.unlink()
            insert_seconds = build(url, size)
        refresh = _child("--refresh-child", url, *(["--reset-aggregates"] if args.reset_aggregates else []))
        result = _child("--child", url, "--sample-cap", str(args.sample_cap))
        insert = f"{insert_seconds:.0f}" if insert_seconds is not None else "reused"
        print(
            f"{kind:<11}{size:>11}{result['n_responses']:>11}{insert:>10}{refresh['seconds']:>10.1f}"
            f"{refresh['cpu']:>7.1f}{refresh['peak_kb'] / 1024:>8.0f}{result['seconds']:>10.2f}{result['cpu']:>7.2f}"
            f"{result['peak_kb'] / 1024:>9.0f}{result['drivers_n']:>11}  {result['top']}"
            + ("  (driver sample)" if result["capped"] else ""),
            flush=True,
        )
    print("Targets for 1 000 000 responses: report < 10 s, peak memory < 1 500 MB (2-core machine).")


if __name__ == "__main__":
    main()
