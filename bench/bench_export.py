"""Benchmark: CSV export of N survey responses (default 1 000 000 × 10 questions) with flat memory.

Run: ``.venv/bin/python -m bench.bench_export [--n 1000000] [--keep DIR]``. It builds a fresh SQLite
database with the demo organisation tree and the «Оценка визита в ЦОК» survey, inserts N synthetic
responses over four quarters (app.surveys.synthetic), then runs the export in a child process and
prints its wall time and peak memory (ru_maxrss of the child). Targets on a 2-core machine:
export < 60 s and peak memory < 300 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _app(db_path: Path):
    from app import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    )


def build(db_path: Path, n: int) -> float:
    """Create the database and insert n responses; returns the seconds spent inserting."""
    from app.extensions import db

    app = _app(db_path)
    with app.app_context():
        db.create_all()
        from app.demo import seed
        from app.org.services import centers
        from app.surveys import services
        from app.surveys.schema import template
        from app.surveys.synthetic import generate_responses

        seed(org_only=True, log=lambda _m: None)
        survey = services.create_survey(template("visit-csat"))
        version = services.publish(survey)
        started = time.perf_counter()
        generate_responses(version, centers(), date(2025, 1, 1), date(2025, 12, 31), n, seed=11)
        return time.perf_counter() - started


def export_child(db_path: Path, out: Path) -> None:
    """Runs in the child process: export to ``out`` and report rows, seconds and peak memory."""
    from sqlalchemy import select

    from app.extensions import db
    from app.surveys.exports import write_csv
    from app.surveys.models import Survey

    app = _app(db_path)
    with app.app_context():
        survey = db.session.scalar(select(Survey).where(Survey.slug == "visit-csat"))
        assert survey is not None, "the database has no visit-csat survey"
        started = time.perf_counter()
        with open(out, "w", encoding="utf-8", newline="") as handle:
            rows = write_csv(survey, handle)
        seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{rows} {seconds:.2f} {peak_kb}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="directory for the database (reused if it exists)")
    parser.add_argument("--child", nargs=2, metavar=("DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        export_child(Path(args.child[0]), Path(args.child[1]))
        return

    folder = args.keep or Path(tempfile.mkdtemp(prefix="otklik-bench-export-"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "bench.db"
    if db_path.exists():
        print(f"reusing {db_path}")
    else:
        seconds = build(db_path, args.n)
        print(f"inserted {args.n:,} responses in {seconds:.1f} s ({args.n / seconds:,.0f}/s)".replace(",", " "))
    out = folder / "export.csv"
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench_export", "--child", str(db_path), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    rows, export_seconds, peak_kb = result.stdout.split()[-3:]
    peak_mb = int(peak_kb) / 1024
    size_mb = out.stat().st_size / 1024 / 1024
    print(
        f"CSV export: {int(rows):,} responses, {size_mb:.0f} MB, export {float(export_seconds):.1f} s "
        f"(child wall {wall:.1f} s incl. start-up), peak memory {peak_mb:.0f} MB".replace(",", " ")
    )
    print(
        f"targets: < 60 s — {'OK' if float(export_seconds) < 60 else 'MISSED'}; "
        f"< 300 MB — {'OK' if peak_mb < 300 else 'MISSED'}; cpus: {os.cpu_count()}"
    )
    if not args.keep:
        out.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
