"""What customers write: themes of survey texts against the target score (`flask analysis themes`, API).

Reads only what the text job stored (:class:`ProcessedText`), never raw texts, so every quote is a
masked copy. The unit is a response: the themes of all its texts (a text answer, «Другое») together,
so one respondent counts once in a test. Low and high come from the survey's target question: NPS
detractors (0–6) against promoters (9–10), passives left out; any other scale its values below the top
two (1–3 of 1–5) against the top two. Per theme Fisher's exact test (two-sided), Benjamini–Hochberg
across the themes; themes are ranked by ``q_value``, not by counts.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import and_, literal, select

from app.analysis import measures, queries
from app.analysis.models import ProcessedText, TextTheme
from app.analysis.stats.themes import candidate_themes, finite_or_none, theme_contrasts
from app.appeals.models import Appeal
from app.config import setting
from app.extensions import db
from app.models import Organisation
from app.org.services import find_org
from app.surveys.models import Answer

SURVEY_SOURCES = ("answer", "other")
QUOTES_PER_THEME = 3
QUOTE_LENGTH = 300
DISCOVERY_SAMPLE = 5000  # unthemed texts NMF looks at at most (a fixed-seed sample beyond that)
DISCOVERY_SEED = 0


class ThemesError(ValueError):
    """A request the themes analysis cannot answer (unknown survey or scope, bad period)."""


@dataclass
class Unit:
    """One response's texts: their themes together, its target score, its masked texts for quotes."""

    key: str
    occurred_at: datetime
    score: float | None = None
    themes: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    lemmas: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ScoreGroups:
    """How a target score splits into low and high (None: not in either group)."""

    kind: str  # "nps" or "scale"
    top: float

    def group(self, score: float | None) -> str | None:
        if score is None:
            return None
        if self.kind == "nps":
            return "low" if score <= 6 else ("high" if score >= 9 else None)
        return "high" if score >= self.top - 1 else "low"


def score_groups(info: measures.QuestionInfo | None) -> ScoreGroups | None:
    if info is None or not info.is_score:
        return None
    if info.type == "nps":
        return ScoreGroups("nps", 10.0)
    return ScoreGroups("scale", float(info.scale_max if info.scale_max is not None else 5.0))


def _center_ids(scope_code: str | None) -> tuple[Organisation | None, list[int] | None]:
    if not scope_code:
        return None, None
    scope = find_org(scope_code)
    if scope is None:
        raise ThemesError(f"Подразделение «{scope_code}» не найдено")
    return scope, [c.id for c in queries.scope_centers(scope)]


def _period(date_from: date, date_to: date) -> queries.Period:
    try:
        return queries.Period(date_from, date_to)
    except ValueError as exc:
        raise ThemesError(str(exc)) from None


def theme_labels() -> dict[str, str]:
    """Active themes of the dictionary, code → Russian label, in code order."""
    query = select(TextTheme.code, TextTheme.label).where(TextTheme.active.is_(True)).order_by(TextTheme.code)
    return {str(row.code): str(row.label) for row in db.session.execute(query)}


def _survey_units(
    survey_id: int, bounds: tuple[datetime, datetime], center_ids: list[int] | None, target: str | None
) -> list[Unit]:
    target_answer = Answer.__table__.alias("target_answer")
    score = target_answer.c.value_num if target else None
    columns: list[Any] = [
        ProcessedText.response_id,
        ProcessedText.source_kind,
        ProcessedText.source_id,
        ProcessedText.occurred_at,
        ProcessedText.themes,
        ProcessedText.masked_text,
        ProcessedText.lemmas,
    ]
    query = select(*columns, *([score] if score is not None else [])).where(
        ProcessedText.survey_id == survey_id,
        ProcessedText.source_kind.in_(SURVEY_SOURCES),
        ProcessedText.occurred_at >= bounds[0],
        ProcessedText.occurred_at < bounds[1],
    )
    if center_ids is not None:
        query = query.where(ProcessedText.center_id.in_(center_ids) if center_ids else literal(False))
    if target:
        query = query.outerjoin(
            target_answer,
            and_(
                target_answer.c.response_id == ProcessedText.response_id,
                target_answer.c.question_code == target,
                target_answer.c.value_num.is_not(None),
            ),
        )
    units: dict[str, Unit] = {}
    for row in db.session.execute(query.order_by(ProcessedText.id)):
        response_id, kind, source_id, occurred_at, themes, masked, lemmas = row[:7]
        key = f"response:{response_id}" if response_id is not None else f"{kind}:{source_id}"
        unit = units.setdefault(key, Unit(key, occurred_at))
        if len(row) > 7 and row[7] is not None:
            unit.score = float(row[7])
        unit.themes.update(themes or ())
        if masked.strip():
            unit.texts.append(masked)
        if lemmas:
            unit.lemmas.append(lemmas)
    return list(units.values())


def _month(moment: datetime, zone: ZoneInfo) -> str:
    return moment.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m")


def _stable_order(key: str) -> str:
    """A fixed pseudo-random order of texts: quotes do not change between runs and are not all the newest."""
    return hashlib.sha256(key.encode()).hexdigest()


def _quotes(units: Sequence[Unit], groups: dict[str, str | None]) -> list[str]:
    """Up to three masked quotes, low-score texts first, each order fixed by a hash of the response."""
    rank = {"low": 0, None: 1, "high": 2}
    chosen: list[str] = []
    for unit in sorted(units, key=lambda u: (rank[groups.get(u.key)], _stable_order(u.key))):
        for text in unit.texts:
            quote = text.strip()
            if len(quote) > QUOTE_LENGTH:
                quote = quote[: QUOTE_LENGTH - 1].rstrip() + "…"
            if quote and quote not in chosen:
                chosen.append(quote)
                break
        if len(chosen) >= QUOTES_PER_THEME:
            break
    return chosen


def _trend(totals: Counter[str], with_theme: Counter[str]) -> list[dict[str, Any]]:
    return [
        {"month": month, "n": with_theme[month], "share": with_theme[month] / totals[month]} for month in sorted(totals)
    ]


def _candidates(units: Sequence[Unit], seed: int, sample: int) -> tuple[list[dict[str, Any]], int]:
    """Candidate themes of the unthemed units; returns them and how many units the NMF looked at."""
    unthemed = [u for u in units if not u.themes and u.lemmas]
    if len(unthemed) > sample:
        picked = np.random.default_rng(seed).choice(len(unthemed), size=sample, replace=False)
        unthemed = [unthemed[i] for i in sorted(picked)]
    found = candidate_themes([" ".join(u.lemmas) for u in unthemed], seed=seed)
    return [
        {
            "words": c.words,
            "examples": [unthemed[i].texts[0][:QUOTE_LENGTH] for i in c.examples if unthemed[i].texts],
            "n": c.n,
        }
        for c in found
    ], len(unthemed)


def themes_report(
    units: Sequence[Unit],
    labels: dict[str, str],
    group_of: dict[str, str | None],
    *,
    zone: ZoneInfo,
    previous: Sequence[Unit] = (),
    seed: int = DISCOVERY_SEED,
    sample: int = DISCOVERY_SAMPLE,
) -> dict[str, Any]:
    """The contract's JSON: themes ranked by q-value (then by n), unassigned, candidates.

    ``n``, ``share``, trend, quotes, ``unassigned`` and candidates describe ``units``; the contrast counts
    every unit of ``units`` and ``previous`` in the group ``group_of`` gives it ("low", "high" or None).
    """
    n_low = n_high = 0
    low: Counter[str] = Counter()
    high: Counter[str] = Counter()
    for unit in [*units, *previous]:
        group = group_of.get(unit.key)
        if group == "low":
            n_low += 1
            low.update(unit.themes & labels.keys())
        elif group == "high":
            n_high += 1
            high.update(unit.themes & labels.keys())
    contrasts = theme_contrasts({code: (low[code], high[code]) for code in labels}, n_low, n_high)
    members: dict[str, list[Unit]] = defaultdict(list)
    months: Counter[str] = Counter()
    theme_months: dict[str, Counter[str]] = defaultdict(Counter)
    for unit in units:
        month = _month(unit.occurred_at, zone)
        months[month] += 1
        for code in unit.themes & labels.keys():
            members[code].append(unit)
            theme_months[code][month] += 1
    rows: list[dict[str, Any]] = []
    for code, label in labels.items():
        contrast = contrasts[code]
        rows.append(
            {
                "theme": code,
                "label": label,
                "n": len(members[code]),
                "share": len(members[code]) / len(units) if units else None,
                "share_among_low": contrast.share_among_low,
                "share_among_high": contrast.share_among_high,
                "lift": finite_or_none(contrast.lift),
                "q_value": contrast.q_value,
                "trend": _trend(months, theme_months[code]),
                "quotes": _quotes(members[code], group_of),
            }
        )
    rows.sort(key=lambda r: (r["q_value"] is None, r["q_value"] or 0.0, -r["n"], r["theme"]))
    candidates, _looked_at = _candidates(units, seed, sample)
    return {
        "themes": rows,
        "unassigned": sum(1 for u in units if not (u.themes & labels.keys())),
        "candidates": candidates,
    }


def survey_themes(
    slug: str, date_from: date, date_to: date, scope_code: str | None = None, *, sample: int = DISCOVERY_SAMPLE
) -> dict[str, Any]:
    """Themes of survey SLUG's texts in a period (and scope) against its target score."""
    survey = queries.survey_by_slug(slug)
    if survey is None:
        raise ThemesError(f"Анкета «{slug}» не найдена")
    period = _period(date_from, date_to)
    _scope, center_ids = _center_ids(scope_code)
    catalogue = measures.question_catalogue(queries.survey_definitions(survey))
    target = measures.analysis_settings(queries.survey_definitions(survey), catalogue)["target"]
    groups = score_groups(catalogue.get(target) if target else None)
    units = _survey_units(survey.id, period.bounds(), center_ids, target if groups else None)
    group_of = {u.key: (groups.group(u.score) if groups else None) for u in units}
    zone = ZoneInfo(setting("DEFAULT_CENTER_TIMEZONE"))
    return themes_report(units, theme_labels(), group_of, zone=zone, sample=sample)


def _appeal_units(bounds: tuple[datetime, datetime], center_ids: list[int] | None, kind: str | None) -> list[Unit]:
    query = (
        select(
            ProcessedText.source_id,
            ProcessedText.occurred_at,
            ProcessedText.themes,
            ProcessedText.masked_text,
            ProcessedText.lemmas,
        )
        .join(Appeal, Appeal.id == ProcessedText.source_id)
        .where(
            ProcessedText.source_kind == "appeal",
            ProcessedText.occurred_at >= bounds[0],
            ProcessedText.occurred_at < bounds[1],
        )
        .order_by(ProcessedText.id)
    )
    if center_ids is not None:
        query = query.where(ProcessedText.center_id.in_(center_ids) if center_ids else literal(False))
    if kind:
        query = query.where(Appeal.kind == kind)
    return [
        Unit(
            f"appeal:{source_id}",
            occurred_at,
            None,
            set(themes or ()),
            [masked] if masked.strip() else [],
            [lemmas] if lemmas else [],
        )
        for source_id, occurred_at, themes, masked, lemmas in db.session.execute(query)
    ]


def appeal_themes(
    date_from: date,
    date_to: date,
    scope_code: str | None = None,
    kind: str | None = None,
    *,
    sample: int = DISCOVERY_SAMPLE,
) -> dict[str, Any]:
    """Themes of appeal texts in a period against the previous period of the same length.

    Review-book entries count once, as the appeals they became. Here ``share_among_low`` is the share in
    the period, ``share_among_high`` in the previous period, ``lift`` their ratio and ``q_value`` Fisher's
    exact test of the change with Benjamini–Hochberg across themes.
    """
    period = _period(date_from, date_to)
    before = queries.previous_period(period)
    _scope, center_ids = _center_ids(scope_code)
    units = _appeal_units(period.bounds(), center_ids, kind)
    previous = _appeal_units(before.bounds(), center_ids, kind)
    group_of: dict[str, str | None] = {u.key: "low" for u in units}
    group_of.update({u.key: "high" for u in previous})
    zone = ZoneInfo(setting("DEFAULT_CENTER_TIMEZONE"))
    return themes_report(units, theme_labels(), group_of, zone=zone, previous=previous, sample=sample)
