"""Benchmark: the quarterly satisfaction PDF and ``build-all`` centre cards for 40 centres.

Run: ``.venv/bin/python -m bench.bench_reports [--size 1000000] [--dir bench/out]``.
The database is the one of ``bench.bench_analysis`` (``instance/bench/analysis-<size>.db``: 40 centres, the
visit-csat survey with 10 answers per response over 2025Q4–2026Q3); it is reused when present and built
with ``app.surveys.synthetic`` otherwise. Prints the wall time of (1) the 2026Q3 company satisfaction PDF
(analysis report + charts + WeasyPrint) and (2) the per-centre cards of ``build-all`` (one network report,
one PDF per centre). Targets on a 2-core machine: (1) < 20 s for 1M responses, (2) < 2 min for 40 centres.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

from bench.bench_analysis import build

ROOT = Path(__file__).resolve().parent.parent
PARAMS = {"period": "2026Q3"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=ROOT / "instance" / "bench")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / f"analysis-{args.size}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        seconds = build(url, args.size)
        print(f"data: {args.size:,} responses inserted in {seconds:.1f} s ({path})".replace(",", " "))
    else:
        print(f"data: reusing {path}")

    from app import create_app
    from app.org.services import centers
    from app.reports import services, sources

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False, "SERVER_NAME": None}
    )
    with app.test_request_context():
        from app.analysis.aggregates import refresh_aggregates
        from app.extensions import db

        db.create_all()  # a benchmark database built before the aggregate tables existed gets them
        started = time.perf_counter()
        refresh_aggregates()  # what the cron job `flask analysis refresh` keeps up to date
        print(f"aggregate catch-up before the reports (cron's job): {time.perf_counter() - started:.1f} s")
        steps: dict[str, float] = {}
        last = {"t": time.perf_counter()}

        def progress(value: int) -> None:
            now = time.perf_counter()
            steps[f"≤{value}%"] = now - last["t"]
            last["t"] = now

        started = time.perf_counter()
        data = services.build_pdf("satisfaction", PARAMS, progress=progress)
        total = time.perf_counter() - started
        print(f"satisfaction PDF, company, 2026Q3: {total:.1f} s, {len(data) // 1024} KB (target < 20 s)")
        print("  steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()))

        spec = services.resolve("satisfaction", PARAMS)
        started = time.perf_counter()
        assert spec.survey is not None
        network = sources.satisfaction_report(spec.survey, spec.period, sources.scope_org(None))
        analysis = time.perf_counter() - started
        with_data = [c for c in centers() if any(r.center == c.code and r.n for r in network.centers)]
        with tempfile.TemporaryDirectory() as folder:
            for center in with_data:
                pdf = services.build_pdf("center", {**PARAMS, "scope": center.code}, network_report=network)
                (Path(folder) / f"center-{center.code}.pdf").write_bytes(pdf)
        total = time.perf_counter() - started
        print(
            f"build-all centre cards: {len(with_data)} centres in {total:.1f} s "
            f"(network report {analysis:.1f} s, {((total - analysis) / max(1, len(with_data))):.2f} s per card; "
            "target < 120 s)"
        )


if __name__ == "__main__":
    main()
