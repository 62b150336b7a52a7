"""Benchmark: the text job and the themes JSON on a quarter of 250 000 survey texts.

Run: ``.venv/bin/python -m bench.bench_themes [--texts 250000] [--dir DIR]``.
It builds (or reuses, in ``--dir``) a SQLite database with the demo organisation tree and visit-csat,
and inserts, over 2026Q3, ``--texts`` responses each with an overall score and one comment made of one
to three fragments (themed and unthemed, some with names and phones; low scores write more about
queues). Then, each in its own child process (wall time, CPU time, peak memory = the child's ru_maxrss):

1. ``process_texts()`` — the text job (lemmas, masked copy, themes) over every text; its throughput;
2. ``survey_themes()`` for 2026Q3 and the whole company, after the stored lemmas.

Targets on a 2-core machine: themes JSON ≤ 10 s and ≤ 1 GB. The discovery step (NMF) looks at a fixed-seed
sample of at most ``DISCOVERY_SAMPLE`` unthemed texts; the output says whether it sampled.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

QUARTER = (date(2026, 7, 1), date(2026, 9, 30))
FRAGMENTS_THEMED = (
    "Очень долго ждал в очереди, больше часа.",
    "Электронная очередь не работает, талоны выдают вручную.",
    "Сотрудник не смог ответить на вопрос по договору присоединения.",
    "Непонятно объяснили, какие документы нужны для замены счетчика.",
    "Грубо разговаривали, не захотели выслушать.",
    "Сайт не работает, записаться нельзя.",
    "Счет выставлен неверно, исправлять отказались.",
    "Третий день отключение света на нашей улице.",
    "Постоянные скачки напряжения, сгорел холодильник.",
    "Сроки подключения сорвали уже второй раз.",
    "Показания счетчика не принимают по телефону.",
    "Пени начислили без причины.",
)
FRAGMENTS_OTHER = (
    "В зале душно, негде присесть.",
    "Не хватает парковки у здания.",
    "Нет кулера с водой, жарко.",
    "Все хорошо, спасибо.",
    "Обслужили нормально.",
    "Мало окон приема, работает только одно.",
    "Хотелось бы больше стульев в зале.",
    "Нет пандуса для колясок.",
)
NAMES = ("Спасибо Ивановой Марии Петровне.", "Оператор петрова нагрубила.", "Мастер Сидоров не приехал.")
PHONE = "Перезвоните 8 912 345 67 89."


def _app(url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})


def _comment(rng: random.Random, score: int) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        if score <= 3 and rng.random() < 0.3:
            parts.append(FRAGMENTS_THEMED[0])
        elif rng.random() < 0.5:
            parts.append(rng.choice(FRAGMENTS_THEMED))
        else:
            parts.append(rng.choice(FRAGMENTS_OTHER))
    if rng.random() < 0.05:
        parts.append(rng.choice(NAMES))
    if rng.random() < 0.02:
        parts.append(PHONE)
    return " ".join(parts)


def build(url: str, n: int) -> float:
    """Create the schema and insert n responses with a score and a comment; returns seconds inserting."""
    from app.analysis.texts import seed_dictionary
    from app.database import table_of, write_transaction
    from app.demo import seed
    from app.extensions import db
    from app.surveys.demo import seed_main_survey
    from app.surveys.models import Answer, Response

    app = _app(url)
    with app.app_context():
        db.create_all()
        seed(org_only=True, log=lambda _m: None)
        seed_dictionary()
        survey, version, centres = seed_main_survey()
        rng = random.Random(11)
        start = datetime.combine(QUARTER[0], datetime.min.time())
        seconds = (QUARTER[1] - QUARTER[0]).days * 86400 + 86399
        began = time.perf_counter()
        for chunk in range(0, n, 10_000):
            responses, answers = [], []
            for index in range(chunk, min(n, chunk + 10_000)):
                score = rng.choices([1, 2, 3, 4, 5], [0.08, 0.07, 0.15, 0.3, 0.4])[0]
                when = start + timedelta(seconds=rng.randrange(seconds))
                centre = centres[index % len(centres)]
                responses.append(
                    {
                        "id": index + 1,
                        "client_submission_id": f"bench-themes-{index}",
                        "body_hash": "x",
                        "survey_id": survey.id,
                        "version_id": version.id,
                        "center_id": centre.id,
                        "channel": "kiosk",
                        "submitted_at": when,
                        "received_at": when,
                        "time_replaced": False,
                    }
                )
                common = {
                    "response_id": index + 1,
                    "survey_id": survey.id,
                    "center_id": centre.id,
                    "submitted_at": when,
                }
                answers.append({**common, "question_code": "overall", "value_num": float(score), "text": None})
                answers.append({**common, "question_code": "why", "value_num": None, "text": _comment(rng, score)})
            with write_transaction():
                db.session.execute(table_of(Response).insert(), responses)
                db.session.execute(table_of(Answer).insert(), answers)
        return time.perf_counter() - began


def job_child(url: str) -> None:
    from app.analysis.texts import process_texts

    app = _app(url)
    with app.app_context():
        started, cpu = time.perf_counter(), time.process_time()
        counts = process_texts(batch_size=2000)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    texts = sum(v for k, v in counts.items() if k != "rethemed")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps({"seconds": seconds, "cpu": cpu, "peak_kb": peak_kb, "texts": texts, "per_second": texts / seconds})
    )


def themes_child(url: str) -> None:
    from app.analysis.themes import DISCOVERY_SAMPLE, survey_themes

    app = _app(url)
    with app.app_context():
        started, cpu = time.perf_counter(), time.process_time()
        result = survey_themes("visit-csat", *QUARTER)
        body = json.dumps(result, ensure_ascii=False, allow_nan=False)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    top = result["themes"][0] if result["themes"] else {}
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "peak_kb": peak_kb,
                "json_bytes": len(body),
                "unassigned": result["unassigned"],
                "discovery_sampled": result["unassigned"] > DISCOVERY_SAMPLE,
                "discovery_sample": min(result["unassigned"], DISCOVERY_SAMPLE),
                "top_theme": [top.get("theme"), top.get("q_value"), top.get("lift")],
                "candidates": [c["words"][:4] for c in result["candidates"]],
            },
            ensure_ascii=False,
        )
    )


def _child(step: str, url: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_themes", "--child", step, "--url", url],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=250_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/otklik-bench-themes"))
    parser.add_argument("--child", choices=["job", "themes"])
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        (job_child if args.child == "job" else themes_child)(args.url)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / f"themes-{args.texts}.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        print(f"building {args.texts} texts … {build(url, args.texts):.1f} s", flush=True)
        job = _child("job", url)
        print(
            f"text job: {job['texts']} texts in {job['seconds']:.1f} s (CPU {job['cpu']:.1f} s), "
            f"{job['per_second']:.0f} texts/s, peak {job['peak_kb'] / 1024:.0f} MB",
            flush=True,
        )
    themes = _child("themes", url)
    print(
        f"themes JSON 2026Q3: {themes['seconds']:.2f} s (CPU {themes['cpu']:.2f} s), peak "
        f"{themes['peak_kb'] / 1024:.0f} MB, {themes['json_bytes']} bytes; unassigned {themes['unassigned']}, "
        f"discovery on {'a sample of ' if themes['discovery_sampled'] else ''}{themes['discovery_sample']} texts; "
        f"top theme {themes['top_theme']}; candidates {themes['candidates']}"
    )


if __name__ == "__main__":
    main()
