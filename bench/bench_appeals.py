"""Benchmark: import N appeals (default 1 000 000) from CSV and build the quarterly monitoring report.

Run: ``.venv/bin/python -m bench.bench_appeals [--n 1000000] [--keep DIR]``. It builds a fresh SQLite
database with the demo organisation tree, writes a CSV spread over four quarters
(2025-10-01 … 2026-09-30) with the company's proportions, times ``flask appeals import`` (the same
function) and ``monitoring_report`` for one quarter (target: import < 60 s, quarter report < 3 s on a
2-core machine), and prints the figures.
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

KIND_FORM_WEIGHTS = [
    (("complaint", "remote"), 1360),
    (("complaint", "in_person"), 301),
    (("application", "remote"), 25689),
    (("application", "in_person"), 13007),
    (("application", "interactive"), 600),
]
TOPIC_WEIGHTS = {
    "complaint": [("connection", 31), ("transmission", 53), ("quality", 1434), ("other", 143)],
    "application": [("connection", 9396), ("transmission", 18396), ("metering", 3000), ("other", 10904)],
}
CHANNEL_BY_FORM = {
    "remote": ["phone", "phone", "phone", "letter", "email"],
    "in_person": ["visit"],
    "interactive": ["web", "kiosk"],
}


def generate_csv(
    path: Path, n: int, centers: list[str], start: date = date(2025, 10, 1), days: int = 365, seed: int = 7
) -> None:
    """Write ``n`` appeals sorted by receipt time; about 90 % answered, of them most on time."""
    rng = random.Random(seed)
    kind_forms = [kf for kf, _ in KIND_FORM_WEIGHTS]
    kf_weights = [w for _, w in KIND_FORM_WEIGHTS]
    picks = rng.choices(kind_forms, kf_weights, k=n)
    base = datetime.combine(start, datetime.min.time()) + timedelta(hours=8)
    step = days * 86400 / n
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["received_at", "kind", "form", "topic", "center", "external_id", "channel", "status", "answered_at"]
        )
        topics = {k: ([t for t, _ in v], [w for _, w in v]) for k, v in TOPIC_WEIGHTS.items()}
        for i, (kind, form) in enumerate(picks):
            received = base + timedelta(seconds=int(i * step))
            topic = rng.choices(*topics[kind])[0]
            roll = rng.random()
            if roll < 0.9:
                answered = received + timedelta(hours=rng.randint(2, 24 * 14))
                status, answered_text = ("closed" if roll < 0.5 else "answered"), answered.isoformat(sep=" ")
            else:
                status, answered_text = "registered", ""
            writer.writerow(
                [
                    received.isoformat(sep=" "),
                    kind,
                    form,
                    topic,
                    rng.choice(centers),
                    f"B{i}",
                    rng.choice(CHANNEL_BY_FORM[form]),
                    status,
                    answered_text,
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the database and CSV in")
    parser.add_argument(
        "--report-only", action="store_true", help="reuse the database kept in --keep and time only the reports"
    )
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_appeals_"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path, csv_path = folder / "bench.db", folder / "appeals.csv"
    if not args.report_only:
        db_path.unlink(missing_ok=True)

    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        from app.appeals.report import monitoring_report

        if not args.report_only:
            run_import(args.n, csv_path)
        report_timings(monitoring_report)
        import os

        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        db.session.remove()
        db.engine.dispose()


def run_import(n: int, csv_path: Path) -> None:
    """Generate the CSV, validate it (dry run), then import it for real."""
    from app.appeals.importer import import_file
    from app.demo import seed
    from app.extensions import db
    from app.org.services import centers

    db.create_all()
    seed(org_only=True, log=lambda _m: None)
    codes = [c.code for c in centers()]
    t0 = time.perf_counter()
    generate_csv(csv_path, n, codes)
    print(f"CSV: {n:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB, generated in {time.perf_counter() - t0:.1f} s")
    t0, c0 = time.perf_counter(), time.process_time()
    checked = import_file(csv_path, source="bench", dry_run=True)
    print(
        f"validation only (--dry-run): {checked.rows:,} rows in {time.perf_counter() - t0:.1f} s "
        f"(CPU {time.process_time() - c0:.1f} s)"
    )
    t0, c0 = time.perf_counter(), time.process_time()
    result = import_file(csv_path, source="bench")
    t_import, c_import = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"import: {result.inserted:,} appeals in {t_import:.1f} s (CPU {c_import:.1f} s, "
        f"{result.inserted / t_import:,.0f} rows/s) — target < 60 s"
    )


def report_timings(monitoring_report: Callable) -> None:
    """Time the monitoring report: a warm-up call, two quarters and a whole year."""
    t0 = time.perf_counter()
    monitoring_report(date(2024, 1, 1), date(2024, 1, 31), None)  # imports scipy, compiles the SQL
    print(f"report warm-up (empty month, first call in the process): {time.perf_counter() - t0:.2f} s")
    for label, frm, to in (
        ("quarter 2026Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("quarter 2026Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("year 2025-10 … 2026-09", date(2025, 10, 1), date(2026, 9, 30)),
    ):
        t0, c0 = time.perf_counter(), time.process_time()
        report = monitoring_report(frm, to, None)
        elapsed = time.perf_counter() - t0
        print(
            f"report {label}: {report.total:,} appeals in {elapsed:.2f} s (CPU of all threads "
            f"{time.process_time() - c0:.2f} s)" + (" — target < 3 s" if label.startswith("quarter") else "")
        )


if __name__ == "__main__":
    main()
