"""Question catalogue and per-question measures computed from aggregated counts.

The counts come from :mod:`app.analysis.queries` (``{value: count}`` per question and group); the
statistics from :mod:`app.analysis.stats`. Nothing here touches the database.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from app.analysis.stats import means, nps, proportions

SCORE_TYPES = ("rating", "ces", "matrix")  # mean, distribution and top-2-box
CHOICE_TYPES = ("single_choice", "multi_choice", "dropdown", "yes_no")
NUMERIC_TYPES = (*SCORE_TYPES, "nps", "number")
SKIPPED_TYPES = ("contact", "date")


@dataclass
class QuestionInfo:
    """What the report needs to know about a question code (latest version wins)."""

    code: str
    type: str
    text: str = ""
    scale_min: float | None = None
    scale_max: float | None = None
    options: list[str] = field(default_factory=list)
    option_labels: dict[str, str] = field(default_factory=dict)

    @property
    def is_score(self) -> bool:
        return self.type in SCORE_TYPES

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES


def _ru(text: Any) -> str:
    if isinstance(text, Mapping):
        return str(text.get("ru") or next(iter(text.values()), ""))
    return str(text or "")


def question_catalogue(definitions: Iterable[Mapping[str, Any]]) -> dict[str, QuestionInfo]:
    """Questions by code across versions (a code keeps its meaning; the latest definition wins)."""
    catalogue: dict[str, QuestionInfo] = {}
    for definition in definitions:
        for page in definition.get("pages") or []:
            for q in page.get("questions") or []:
                qtype, code = q.get("type"), q.get("code")
                if not code or qtype in SKIPPED_TYPES:
                    continue
                scale = q.get("scale") or {}
                if qtype == "matrix":
                    for row in q.get("rows") or []:
                        if row.get("code"):
                            catalogue[row["code"]] = QuestionInfo(
                                row["code"],
                                "matrix",
                                f"{_ru(q.get('text'))}: {_ru(row.get('text'))}",
                                float(scale.get("min", 1)),
                                float(scale.get("max", 5)),
                            )
                    continue
                info = QuestionInfo(code, qtype, _ru(q.get("text")))
                if qtype == "rating":
                    info.scale_min, info.scale_max = float(scale.get("min", 1)), float(scale.get("max", 5))
                elif qtype == "ces":
                    info.scale_min, info.scale_max = float(scale.get("min", 1)), float(scale.get("max", 7))
                elif qtype == "nps":
                    info.scale_min, info.scale_max = 0.0, 10.0
                elif qtype == "yes_no":
                    info.options = ["yes", "no"]
                    info.option_labels = {"yes": "Да", "no": "Нет"}
                elif qtype in CHOICE_TYPES:
                    info.options = [o["code"] for o in q.get("options") or [] if o.get("code")]
                    info.option_labels = {
                        o["code"]: _ru(o.get("text")) for o in q.get("options") or [] if o.get("code")
                    }
                    if q.get("other"):
                        info.options.append("other")
                        info.option_labels.setdefault("other", "Другое")
                catalogue.pop(code, None)  # keep the latest position in the order
                catalogue[code] = info
    return catalogue


def analysis_settings(definitions: Sequence[Mapping[str, Any]], catalogue: Mapping[str, QuestionInfo]) -> dict:
    """Target, drivers and blocks from the latest definition's ``analysis`` (defaults if absent)."""
    settings: Mapping[str, Any] = {}
    for definition in definitions:
        if definition.get("analysis"):
            settings = definition["analysis"]
    scores = [c for c, q in catalogue.items() if q.is_score]
    target = settings.get("target") or ("overall" if "overall" in catalogue else (scores[0] if scores else None))
    drivers = [
        c
        for c in settings.get("drivers") or [c for c in scores if c != target]
        if c in catalogue and catalogue[c].is_numeric and c != target
    ]
    blocks = {
        name: [c for c in codes if c in catalogue and catalogue[c].is_numeric]
        for name, codes in (settings.get("blocks") or {}).items()
    }
    return {"target": target if target in catalogue else None, "drivers": drivers, "blocks": blocks}


# --------------------------------------------------------------------------- counts


Counts = dict[Any, int]  # value (float) or option code (str) → count


def value_key(value_num: Any, option_code: Any) -> Any:
    if option_code is not None and not (isinstance(option_code, float) and pd.isna(option_code)):
        return str(option_code)
    return float(value_num)


def nest_counts(frame: pd.DataFrame, keys: tuple[str, ...] = ("period", "center_id")) -> dict:
    """``{key tuple: {question_code: {value: count}}}`` from a value_counts frame."""
    nested: dict = defaultdict(lambda: defaultdict(Counter))
    if frame.empty:
        return nested
    cols = [*keys, "question_code", "value_num", "option_code", "count"]
    for row in frame[cols].itertuples(index=False, name=None):
        *group, code, value, option, count = row
        nested[tuple(group)][code][value_key(value, option)] += int(count)
    return nested


def merge_counts(parts: Iterable[Mapping[str, Mapping[Any, int]]]) -> dict[str, Counter]:
    merged: dict[str, Counter] = defaultdict(Counter)
    for part in parts:
        for code, counts in part.items():
            merged[code].update(counts)
    return merged


def numeric_counts(counts: Mapping[Any, int] | None) -> dict[float, int]:
    return {float(v): int(c) for v, c in (counts or {}).items() if not isinstance(v, str) and c > 0}


def nps_categories(counts: Mapping[Any, int] | None) -> tuple[int, int, int]:
    """(promoters 9–10, passives 7–8, detractors 0–6)."""
    values = numeric_counts(counts)
    promoters = sum(c for v, c in values.items() if v >= 9)
    passives = sum(c for v, c in values.items() if 7 <= v < 9)
    detractors = sum(c for v, c in values.items() if v < 7)
    return promoters, passives, detractors


def top2_k_n(info: QuestionInfo, counts: Mapping[Any, int] | None) -> tuple[int, int]:
    values = numeric_counts(counts)
    n = sum(values.values())
    k = sum(c for v, c in values.items() if v > (info.scale_max or 5) - 2)
    return k, n


def plain_mean(counts: Mapping[Any, int] | None) -> float | None:
    """Mean of numeric counts without an interval (for differences inside tests)."""
    values = numeric_counts(counts)
    n = sum(values.values())
    return sum(v * c for v, c in values.items()) / n if n else None


def _value_label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def distribution(counts: Mapping[Any, int] | None) -> dict[str, int]:
    items = sorted((counts or {}).items(), key=lambda kv: (isinstance(kv[0], str), kv[0]))
    return {_value_label(v): int(c) for v, c in items if c > 0}


# --------------------------------------------------------------------------- measures


def score_measure(info: QuestionInfo, counts: Mapping[Any, int] | None, confidence: float) -> dict[str, Any]:
    values = numeric_counts(counts)
    n = sum(values.values())
    out: dict[str, Any] = {
        "type": info.type,
        "n": n,
        "mean": None,
        "sd": None,
        "mean_ci": None,
        "top2box": None,
        "top2box_ci": None,
        "top2box_k": None,
        "distribution": distribution(values),
    }
    if n == 0:
        return out
    if n >= 2:
        estimate = means.mean_from_counts(values, confidence)
        out.update(mean=estimate.mean, sd=estimate.sd, mean_ci=estimate.ci.to_list())
    else:
        out["mean"] = next(iter(values))
    if info.is_score:
        share = proportions.wilson(*top2_k_n(info, values), confidence)
        out.update(top2box=share.share, top2box_ci=share.ci.to_list(), top2box_k=share.k)
    return out


def nps_estimate(counts: Mapping[Any, int] | None, confidence: float) -> nps.NpsEstimate | None:
    promoters, passives, detractors = nps_categories(counts)
    if promoters + passives + detractors == 0:
        return None
    return nps.nps_from_counts(promoters, passives, detractors, confidence)


def nps_measure(counts: Mapping[Any, int] | None, confidence: float) -> dict[str, Any]:
    promoters, passives, detractors = nps_categories(counts)
    out: dict[str, Any] = {
        "type": "nps",
        "n": promoters + passives + detractors,
        "nps": None,
        "nps_ci": None,
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
        "distribution": distribution(numeric_counts(counts)),
    }
    estimate = nps_estimate(counts, confidence)
    if estimate is not None:
        out.update(nps=estimate.nps, nps_ci=estimate.ci.to_list())
        values = numeric_counts(counts)
        if out["n"] >= 2:
            mean = means.mean_from_counts(values, confidence)
            out.update(mean=mean.mean, mean_ci=mean.ci.to_list())
    return out


def choice_measure(
    info: QuestionInfo, counts: Mapping[Any, int] | None, respondents: int | None, confidence: float
) -> dict[str, Any]:
    """Shares of options with Wilson intervals; denominator = respondents who answered the question."""
    option_counts: Counter = Counter()
    for value, count in (counts or {}).items():
        if info.type == "yes_no" and not isinstance(value, str):
            option_counts["yes" if value >= 0.5 else "no"] += count
        else:
            option_counts[str(value)] += count
    n = respondents if respondents is not None else sum(option_counts.values())
    options: dict[str, Any] = {}
    for code in dict.fromkeys([*info.options, *option_counts]):
        k = int(option_counts.get(code, 0))
        entry: dict[str, Any] = {"label": info.option_labels.get(code, code), "k": k, "share": None, "ci": None}
        if n > 0:
            estimate = proportions.wilson(min(k, n), n, confidence)
            entry.update(share=estimate.share, ci=estimate.ci.to_list())
        options[code] = entry
    return {"type": info.type, "n": int(n), "options": options}


def measure(
    info: QuestionInfo, counts: Mapping[Any, int] | None, confidence: float, respondents: int | None = None
) -> dict[str, Any]:
    if info.type == "nps":
        return nps_measure(counts, confidence)
    if info.type in CHOICE_TYPES:
        return choice_measure(info, counts, respondents, confidence)
    return score_measure(info, counts, confidence)
