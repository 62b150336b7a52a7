"""Synthetic responses with a known structure, for demos, tests of the analysis and benchmarks.

For the visit-csat codes the truth is fixed: ``overall`` is a noisy weighted sum of the attributes with
weights wait > competence > politeness > clarity > comfort, NPS follows overall, the weak centre is much
worse on ``wait``, every quarter is slightly better than the one before, and about 15 % of low overall
scores come with a Russian comment. Other codes get plausible values by question type.
Rows go in with SQLAlchemy Core executemany in chunks, with explicit ids, so a million responses take
minutes on SQLite.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select, text

from app.database import table_of, write_transaction
from app.extensions import db
from app.models import Organisation
from app.surveys.models import Answer, Response, SurveyVersion

ATTRIBUTES = ("wait", "competence", "politeness", "clarity", "comfort")
WEIGHTS = {"wait": 0.36, "competence": 0.25, "politeness": 0.17, "clarity": 0.11, "comfort": 0.06}
PURPOSES = (("connection", 0.28), ("transmission", 0.14), ("metering", 0.36), ("quality", 0.12), ("other", 0.10))
CHUNK = 5000

COMMENTS = (
    "Очень долго ждал в очереди, больше часа.",
    "Электронная очередь не работает, талоны выдают вручную.",
    "Сотрудник не смог ответить на мой вопрос по договору присоединения.",
    "Мало окон приема, работает только одно.",
    "В зале душно, негде присесть.",
    "Непонятно объяснили, какие документы нужны для замены счетчика.",
    "Пришлось приходить второй раз из-за ошибки в документах.",
    "Грубо разговаривали, не захотели выслушать.",
    "Нет информации о сроках рассмотрения заявки.",
    "Долго ждал, а потом отправили в другой кабинет.",
    "Сайт не работает, пришлось ехать лично.",
    "Хотелось бы записываться на прием заранее по телефону.",
    "Не хватает парковки у здания.",
    "Оператор торопился и не дослушал.",
    "Счет выставлен неверно, исправлять отказались.",
)


def _uuid(seed: int, version_id: int, index: int) -> str:
    """A uuid4-shaped id, deterministic from the seed, the version and the response's index."""
    digest = hashlib.sha256(f"synthetic:{seed}:{version_id}:{index}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _questions(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for page in definition.get("pages") or [] for q in page.get("questions") or []]


def _next_id(table) -> int:
    return int(db.session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def _bump_sequences() -> None:
    """Explicit ids bypass PostgreSQL sequences; move them past the inserted rows."""
    if db.engine.dialect.name != "postgresql":
        return
    db.session.execute(
        text("SELECT setval(pg_get_serial_sequence('response', 'id'), (SELECT COALESCE(MAX(id), 1) FROM response))")
    )
    db.session.execute(
        text("SELECT setval(pg_get_serial_sequence('answer', 'id'), (SELECT COALESCE(MAX(id), 1) FROM answer))")
    )


def _timestamps(rng: np.random.Generator, start: date, end: date, n: int) -> np.ndarray:
    """Sorted naive-UTC seconds within the working day (08:00–18:00 Moscow = 05:00–15:00 UTC)."""
    days = max((end - start).days + 1, 1)
    day = rng.integers(0, days, n)
    second = rng.integers(5 * 3600, 15 * 3600, n)
    return np.sort(day * 86400 + second)


SyntheticRow = tuple[str, float | None, str | None, str | None]


def _score(lo: int, hi: int, rng: np.random.Generator) -> float:
    return float(round(lo + (hi - lo) * rng.beta(4, 1.6)))


def _synthetic_scale(question: dict[str, Any], rng: np.random.Generator) -> list[SyntheticRow]:
    scale = question.get("scale") or {}
    lo, hi = {"nps": (0, 10), "ces": (1, 7)}.get(question["type"], (int(scale.get("min", 1)), int(scale.get("max", 5))))
    return [(question.get("code", ""), _score(lo, hi, rng), None, None)]


def _synthetic_matrix(question: dict[str, Any], rng: np.random.Generator) -> list[SyntheticRow]:
    scale = question.get("scale") or {}
    lo, hi = int(scale.get("min", 1)), int(scale.get("max", 5))
    return [(row["code"], _score(lo, hi, rng), None, None) for row in question.get("rows") or [] if row.get("code")]


def _option_codes(question: dict[str, Any]) -> list[str]:
    return [o["code"] for o in question.get("options") or [] if o.get("code")]


def _synthetic_single(question: dict[str, Any], rng: np.random.Generator) -> list[SyntheticRow]:
    options = _option_codes(question)
    return [(question.get("code", ""), None, str(rng.choice(options)), None)] if options else []


def _synthetic_multi(question: dict[str, Any], rng: np.random.Generator) -> list[SyntheticRow]:
    options = _option_codes(question)
    if not options:
        return []
    picked = rng.choice(options, size=min(len(options), int(rng.integers(1, 3))), replace=False)
    return [(question.get("code", ""), None, str(o), None) for o in sorted(picked, key=options.index)]


def _synthetic_yes_no(question: dict[str, Any], rng: np.random.Generator) -> list[SyntheticRow]:
    return [(question.get("code", ""), float(rng.random() < 0.7), None, None)]


def _synthetic_number(question: dict[str, Any], rng: np.random.Generator) -> list[SyntheticRow]:
    lo, hi = float(question.get("min", 0) or 0), float(question.get("max", 100) or 100)
    return [(question.get("code", ""), float(round(lo + (hi - lo) * rng.random())), None, None)]


def _synthetic_text(question: dict[str, Any], rng: np.random.Generator) -> list[SyntheticRow]:
    return [(question.get("code", ""), None, None, str(rng.choice(COMMENTS)))] if rng.random() < 0.1 else []


# Answers of a question of unknown meaning, by question type; date and contact get nothing synthetic.
_SYNTHETIC: dict[str, Callable[[dict[str, Any], np.random.Generator], list[SyntheticRow]]] = {
    "rating": _synthetic_scale,
    "ces": _synthetic_scale,
    "nps": _synthetic_scale,
    "matrix": _synthetic_matrix,
    "single_choice": _synthetic_single,
    "dropdown": _synthetic_single,
    "multi_choice": _synthetic_multi,
    "yes_no": _synthetic_yes_no,
    "number": _synthetic_number,
    "text": _synthetic_text,
}


def _generic(question: dict[str, Any], rng: np.random.Generator) -> list[SyntheticRow]:
    """(code, value_num, option_code, text) rows for a question of unknown meaning."""
    make = _SYNTHETIC.get(question.get("type"))  # type: ignore[arg-type]
    return make(question, rng) if make is not None else []


def generate_responses(
    version: SurveyVersion,
    centers: Sequence[Organisation],
    start: date,
    end: date,
    n: int,
    seed: int = 1,
    weak_center_code: str | None = "LGV",
    channels: Sequence[str] = ("kiosk", "online", "qr"),
) -> int:
    """Insert ``n`` synthetic responses (and tidy answers) to ``version`` at ``centers``; returns n.

    Commits per chunk of responses; deterministic for a given seed.
    """
    if n <= 0 or not centers:
        return 0
    rng = np.random.default_rng(seed)
    questions = _questions(version.definition)
    codes = {q.get("code") for q in questions}
    known = [c for c in ("overall", "nps", *ATTRIBUTES, "purpose", "why") if c in codes]
    generic = [q for q in questions if q.get("code") not in known and q.get("type") != "contact"]
    center_ids = np.array([c.id for c in centers])
    center_effect = rng.normal(0, 0.25, len(centers))
    weak = np.array([c.code == weak_center_code for c in centers])
    channel_p = np.array([0.5, 0.3, 0.2][: len(channels)] + [0.1] * max(0, len(channels) - 3))
    channel_p = channel_p / channel_p.sum()
    purpose_codes = [p for p, _ in PURPOSES]
    purpose_p = np.array([w for _, w in PURPOSES])
    seconds = _timestamps(rng, start, end, n)
    epoch = datetime.combine(start, time())
    quarter0 = start.year * 4 + (start.month - 1) // 3

    survey_id, version_id = version.survey_id, version.id
    for begin in range(0, n, CHUNK):
        size = min(CHUNK, n - begin)
        ts = [epoch + timedelta(seconds=int(s)) for s in seconds[begin : begin + size]]
        quarter = np.array([(t.year * 4 + (t.month - 1) // 3) - quarter0 for t in ts])
        which = rng.integers(0, len(centers), size)
        mood = rng.normal(0, 0.55, size)
        base = 3.85 + center_effect[which] + 0.12 * quarter + mood
        attrs: dict[str, np.ndarray] = {}
        for name in ATTRIBUTES:
            latent = base + rng.normal(0, 0.85, size)
            if name == "wait":
                latent = latent - 1.6 * weak[which]
            attrs[name] = np.clip(np.rint(latent), 1, 5)
        overall_latent = 0.15 + sum(WEIGHTS[a] * attrs[a] for a in ATTRIBUTES) + rng.normal(0, 0.45, size)
        overall = np.clip(np.rint(overall_latent), 1, 5)
        nps = np.clip(np.rint(2.3 * overall - 2.0 + rng.normal(0, 1.2, size)), 0, 10)
        purpose = rng.choice(len(purpose_codes), size=size, p=purpose_p)
        comment = (overall <= 3) & (rng.random(size) < 0.15)
        comment_pick = rng.integers(0, len(COMMENTS), size)
        channel = rng.choice(len(channels), size=size, p=channel_p)
        duration = rng.integers(25, 240, size)

        with write_transaction():  # ids are read under the write lock
            response_id = _next_id(Response.__table__)
            answer_id = _next_id(Answer.__table__)
            responses: list[dict[str, Any]] = []
            answers: list[dict[str, Any]] = []
            for i in range(size):
                rid = response_id + i
                center_id = int(center_ids[which[i]])
                submitted = ts[i]
                csid = _uuid(seed, version_id, begin + i)
                responses.append(
                    {
                        "id": rid,
                        "client_submission_id": csid,
                        "body_hash": hashlib.sha256(csid.encode()).hexdigest(),
                        "survey_id": survey_id,
                        "version_id": version_id,
                        "center_id": center_id,
                        "channel": channels[channel[i]],
                        "submitted_at": submitted,
                        "received_at": submitted,
                        "duration_seconds": int(duration[i]),
                    }
                )
                rows: list[tuple[str, float | None, str | None, str | None]] = []
                for code in known:
                    if code == "overall":
                        rows.append((code, float(overall[i]), None, None))
                    elif code == "nps":
                        rows.append((code, float(nps[i]), None, None))
                    elif code == "purpose":
                        rows.append((code, None, purpose_codes[purpose[i]], None))
                    elif code == "why":
                        if comment[i]:
                            rows.append((code, None, None, COMMENTS[comment_pick[i]]))
                    else:
                        rows.append((code, float(attrs[code][i]), None, None))
                for question in generic:
                    rows.extend(_generic(question, rng))
                for code, num, option, txt in rows:
                    answers.append(
                        {
                            "id": answer_id,
                            "response_id": rid,
                            "survey_id": survey_id,
                            "center_id": center_id,
                            "submitted_at": submitted,
                            "question_code": code,
                            "value_num": num,
                            "option_code": option,
                            "text": txt,
                        }
                    )
                    answer_id += 1
            db.session.execute(insert(table_of(Response)), responses)
            db.session.execute(insert(table_of(Answer)), answers)
    with write_transaction():
        _bump_sequences()
    return n
