"""What customers write: themes of survey texts against the target score (`flask analysis themes`, API).

Reads only what the text job stored (:class:`ProcessedText`), never raw texts, so every quote is a
masked copy. The unit is a response: the themes of all its texts (a text answer, «Другое») together,
so one respondent counts once in a test. Low and high come from the survey's target question: NPS
detractors (0–6) against promoters (9–10), passives left out; any other scale its values below the top
two (1–3 of 1–5) against the top two. Per theme Fisher's exact test (two-sided), Benjamini–Hochberg
across the themes; themes are ranked by ``q_value``, not by counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Select, and_, case, func, literal, null, select

from app.analysis import measures, queries
from app.analysis.models import ProcessedText, ProcessedTextTheme, TextTheme
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


@dataclass(frozen=True)
class Selection:
    """Which stored texts a report reads and how they form units (the thing counted once).

    ``unit`` is the column naming a unit: the response for survey texts (a text answer and «Другое» of
    one respondent together), the appeal for appeal texts. With ``groups`` the unit's low/high group
    comes from its target answer ``target``; without, every unit is in ``fixed_group``.
    """

    unit: Any
    conditions: tuple[Any, ...]
    kinds: tuple[str, ...]  # the source kinds of a unit's texts
    join_appeal: bool = False
    target: str | None = None
    groups: ScoreGroups | None = None
    fixed_group: str | None = None

    def select(self, *columns: Any) -> Select:
        query = select(*columns).select_from(ProcessedText)
        if self.join_appeal:
            query = query.join(Appeal, Appeal.id == ProcessedText.source_id)
        return query.where(*self.conditions)


@dataclass
class ThemeCounts:
    """Everything the themes table needs, counted by the database: units (and units with each theme)
    per month, low/high group and centre."""

    units: Counter[tuple[str, str | None, int]] = field(default_factory=Counter)  # (month, group, centre)
    themes: dict[str, Counter[tuple[str, str | None, int]]] = field(default_factory=lambda: defaultdict(Counter))
    themed: int = 0  # units with at least one of the active themes

    @property
    def total(self) -> int:
        return sum(self.units.values())

    def in_group(self, group: str) -> int:
        return sum(n for (_m, g, _c), n in self.units.items() if g == group)

    def theme_in_group(self, code: str, group: str) -> int:
        return sum(n for (_m, g, _c), n in self.themes.get(code, Counter()).items() if g == group)


def _month_case(column: Any, bounds: tuple[datetime, datetime], zone: ZoneInfo) -> Any:
    """The local month (YYYY-MM in ``zone``) of a naive-UTC timestamp inside ``bounds``, as SQL: a CASE
    over the months' UTC edges, the same on SQLite and PostgreSQL."""
    first = bounds[0].replace(tzinfo=UTC).astimezone(zone)
    year, month = first.year, first.month
    whens = []
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        edge = datetime(year, month, 1, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
        label = f"{year - 1 if month == 1 else year:04d}-{12 if month == 1 else month - 1:02d}"
        whens.append((column < edge, literal(label)))
        if edge >= bounds[1]:
            break
    return case(*whens, else_=whens[-1][1])


def _group_case(groups: ScoreGroups, score: Any) -> Any:
    """``ScoreGroups.group`` as SQL."""
    if groups.kind == "nps":
        return case((score <= 6, literal("low")), (score >= 9, literal("high")), else_=null())
    return case((score >= groups.top - 1, literal("high")), (score.is_not(None), literal("low")), else_=null())


def _with_group(selection: Selection, query: Select) -> tuple[Select, Any]:
    """The query joined with the unit's target answer (surveys), and the unit's group as SQL."""
    if selection.groups is None or not selection.target:
        return query, literal(selection.fixed_group) if selection.fixed_group else null()
    answer = Answer.__table__.alias("target_answer")
    joined = query.outerjoin(
        answer,
        and_(
            answer.c.response_id == ProcessedText.response_id,
            answer.c.question_code == selection.target,
            answer.c.value_num.is_not(None),
        ),
    )
    return joined, _group_case(selection.groups, answer.c.value_num)


def count_themes(
    selection: Selection, labels: dict[str, str], bounds: tuple[datetime, datetime], zone: ZoneInfo
) -> ThemeCounts:
    """Units and units per theme by month, group and centre, with ``GROUP BY`` in the database.

    Every text of a unit has the same time, centre and target answer, so counting distinct units per
    (month, group, centre) counts each unit once.
    """
    counts = ThemeCounts()
    month = _month_case(ProcessedText.occurred_at, bounds, zone)
    units = func.count(func.distinct(selection.unit))
    query, group = _with_group(selection, selection.select(month, ProcessedText.center_id))
    query = query.with_only_columns(month, group, ProcessedText.center_id, units).group_by(
        month, group, ProcessedText.center_id
    )
    for month_label, group_label, center_id, n in db.session.execute(query):
        counts.units[(month_label, group_label, center_id)] += n
    linked = selection.select(ProcessedTextTheme.theme).join(
        ProcessedTextTheme, ProcessedTextTheme.processed_text_id == ProcessedText.id
    )
    query, group = _with_group(selection, linked)
    query = query.with_only_columns(ProcessedTextTheme.theme, month, group, ProcessedText.center_id, units).group_by(
        ProcessedTextTheme.theme, month, group, ProcessedText.center_id
    )
    for code, month_label, group_label, center_id, n in db.session.execute(query):
        counts.themes[code][(month_label, group_label, center_id)] += n
    if labels:
        themed = linked.with_only_columns(units)
        if not set(counts.themes) <= labels.keys():  # links of inactive themes: look at the active ones only
            themed = themed.where(ProcessedTextTheme.theme.in_(list(labels)))
        counts.themed = int(db.session.scalar(themed) or 0)
    return counts


def _unit_texts(selection: Selection, unit_ids: Sequence[int]) -> dict[int, tuple[list[str], list[str]]]:
    """The masked texts (non-blank) and lemma strings (non-empty) of the given units, in text order."""
    found: dict[int, tuple[list[str], list[str]]] = {unit: ([], []) for unit in unit_ids}
    for start in range(0, len(unit_ids), 500):
        chunk = list(unit_ids[start : start + 500])
        # A unit was chosen under the selection's conditions and all its texts share them, so its texts
        # are found by the unit's index alone: (source_kind, source_id) for one kind; the response's for
        # survey texts, their two kinds checked here (an IN on the kind made SQLite scan every text of it).
        query = select(selection.unit, ProcessedText.source_kind, ProcessedText.masked_text, ProcessedText.lemmas)
        query = query.where(selection.unit.in_(chunk))
        if len(selection.kinds) == 1:
            query = query.where(ProcessedText.source_kind == selection.kinds[0])
        for unit, kind, masked, lemmas in db.session.execute(query.order_by(ProcessedText.id)):
            if kind not in selection.kinds:
                continue
            texts, lemma_list = found[unit]
            if masked.strip():
                texts.append(masked)
            if lemmas:
                lemma_list.append(lemmas)
    return found


def _quote_order(selection: Selection, code: str) -> Iterator[int]:
    """Units with the theme in quoting order: low-score units first, then ungrouped, then high; within
    each a fixed pseudo-random order (``quote_order``), so quotes do not change between runs. The
    database walks the (theme, quote_order) index and stops after a page."""
    linked = selection.select(selection.unit, ProcessedTextTheme.quote_order).join(
        ProcessedTextTheme, ProcessedTextTheme.processed_text_id == ProcessedText.id
    )
    query, group = _with_group(selection, linked.where(ProcessedTextTheme.theme == code))
    seen: set[int] = set()
    for wanted in ("low", None, "high"):
        in_group = query.where(group.is_(None) if wanted is None else group == wanted)
        last: int | None = None
        page = 48
        while True:
            paged = in_group if last is None else in_group.where(ProcessedTextTheme.quote_order >= last)
            rows = db.session.execute(paged.order_by(ProcessedTextTheme.quote_order).limit(page)).all()
            for unit, _order in sorted(rows, key=lambda row: (row[1], row[0])):
                if unit not in seen:
                    seen.add(unit)
                    yield unit
            if len(rows) < page:
                break
            # Rows of one unit share its number: the next page starts at the last number seen (those
            # rows again, skipped), unless a whole page had that number.
            last, page = rows[-1][1], min(page * 4, 4096)
            if rows[0][1] == last:
                in_group = in_group.where(ProcessedTextTheme.quote_order > last)
                last = None


def _quotes(selection: Selection, code: str) -> list[str]:
    """Up to three distinct masked quotes of a theme, in :func:`_quote_order`; texts loaded only for them."""
    chosen: list[str] = []
    order = _quote_order(selection, code)
    while len(chosen) < QUOTES_PER_THEME:
        batch = [unit for _i, unit in zip(range(12), order, strict=False)]
        if not batch:
            break
        texts = _unit_texts(selection, batch)
        for unit in batch:
            for text in texts[unit][0]:
                quote = text.strip()
                if len(quote) > QUOTE_LENGTH:
                    quote = quote[: QUOTE_LENGTH - 1].rstrip() + "…"
                if quote and quote not in chosen:
                    chosen.append(quote)
                    break
            if len(chosen) >= QUOTES_PER_THEME:
                break
    return chosen


def _candidates(selection: Selection, seed: int, sample: int) -> list[dict[str, Any]]:
    """Candidate themes (NMF) of the units without any theme, a fixed-seed sample of ``sample`` at most;
    only the sampled units' lemmas and texts are loaded."""
    if sample <= 0:
        return []
    query = (
        selection.select(selection.unit, func.min(ProcessedText.id).label("first"))
        .outerjoin(ProcessedTextTheme, ProcessedTextTheme.processed_text_id == ProcessedText.id)
        .group_by(selection.unit)
        .having(and_(func.count(ProcessedTextTheme.theme) == 0, func.max(func.length(ProcessedText.lemmas)) > 0))
        .order_by("first")
    )
    unthemed = [row[0] for row in db.session.execute(query)]
    if len(unthemed) > sample:
        picked = np.random.default_rng(seed).choice(len(unthemed), size=sample, replace=False)
        unthemed = [unthemed[i] for i in sorted(picked)]
    texts = _unit_texts(selection, unthemed)
    found = candidate_themes([" ".join(texts[unit][1]) for unit in unthemed], seed=seed)
    return [
        {
            "words": c.words,
            "examples": [texts[unthemed[i]][0][0][:QUOTE_LENGTH] for i in c.examples if texts[unthemed[i]][0]],
            "n": c.n,
        }
        for c in found
    ]


def _by_org(counts: ThemeCounts, labels: dict[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Themes per centre and per branch: units, and per theme units and their share (themes found, most
    frequent first). A unit belongs to one centre, so a branch's counts are its centres' sums."""
    tree = queries.org_tree()
    units: dict[int, int] = Counter()
    themed: dict[int, Counter[str]] = defaultdict(Counter)
    for (_m, _g, center_id), n in counts.units.items():
        units[center_id] += n
    for code in labels:
        for (_m, _g, center_id), n in counts.themes.get(code, Counter()).items():
            themed[center_id][code] += n
    branch_units: dict[int, int] = Counter()
    branch_themed: dict[int, Counter[str]] = defaultdict(Counter)
    for center_id, n in units.items():
        branch = queries.branch_id_of(tree[center_id], tree) if center_id in tree else None
        if branch is not None:
            branch_units[branch] += n
            branch_themed[branch].update(themed[center_id])

    def rows(totals: dict[int, int], per_theme: dict[int, Counter[str]], key: str) -> list[dict[str, Any]]:
        out = []
        for org_id in sorted(totals, key=lambda i: tree[i].code if i in tree else str(i)):
            n = totals[org_id]
            found = sorted(per_theme[org_id].items(), key=lambda item: (-item[1], item[0]))
            out.append(
                {
                    key: tree[org_id].code if org_id in tree else str(org_id),
                    "name": tree[org_id].name if org_id in tree else "",
                    "n": n,
                    "themes": [{"theme": code, "n": k, "share": k / n} for code, k in found if k],
                }
            )
        return out

    return rows(units, themed, "center"), rows(branch_units, branch_themed, "branch")


def themes_report(
    selection: Selection,
    labels: dict[str, str],
    bounds: tuple[datetime, datetime],
    *,
    zone: ZoneInfo,
    previous: tuple[Selection, tuple[datetime, datetime]] | None = None,
    seed: int = DISCOVERY_SEED,
    sample: int = DISCOVERY_SAMPLE,
) -> dict[str, Any]:
    """The contract's JSON: themes ranked by q-value (then by n), unassigned, candidates, and the themes
    by centre and branch.

    ``n``, ``share``, trend, quotes, ``unassigned``, candidates and the centre rows describe
    ``selection``; the contrast counts its units and those of ``previous`` by their low/high group.
    """
    counts = count_themes(selection, labels, bounds, zone)
    earlier = count_themes(previous[0], labels, previous[1], zone) if previous else ThemeCounts()
    n_low = counts.in_group("low") + earlier.in_group("low")
    n_high = counts.in_group("high") + earlier.in_group("high")
    contrasts = theme_contrasts(
        {
            code: (
                counts.theme_in_group(code, "low") + earlier.theme_in_group(code, "low"),
                counts.theme_in_group(code, "high") + earlier.theme_in_group(code, "high"),
            )
            for code in labels
        },
        n_low,
        n_high,
    )
    total = counts.total
    months: Counter[str] = Counter()
    for (month, _g, _c), n in counts.units.items():
        months[month] += n
    rows: list[dict[str, Any]] = []
    for code, label in labels.items():
        theme_months: Counter[str] = Counter()
        for (month, _g, _c), n in counts.themes.get(code, Counter()).items():
            theme_months[month] += n
        n_theme = sum(theme_months.values())
        contrast = contrasts[code]
        rows.append(
            {
                "theme": code,
                "label": label,
                "n": n_theme,
                "share": n_theme / total if total else None,
                "share_among_low": contrast.share_among_low,
                "share_among_high": contrast.share_among_high,
                "lift": finite_or_none(contrast.lift),
                "q_value": contrast.q_value,
                "trend": [
                    {"month": month, "n": theme_months[month], "share": theme_months[month] / months[month]}
                    for month in sorted(months)
                ],
                "quotes": _quotes(selection, code) if n_theme else [],
            }
        )
    rows.sort(key=lambda r: (r["q_value"] is None, r["q_value"] or 0.0, -r["n"], r["theme"]))
    by_center, by_branch = _by_org(counts, labels)
    return {
        "themes": rows,
        "unassigned": total - counts.themed,
        "candidates": _candidates(selection, seed, sample),
        "by_center": by_center,
        "by_branch": by_branch,
    }


def _scope_condition(center_ids: list[int] | None) -> tuple[Any, ...]:
    if center_ids is None:
        return ()
    return (ProcessedText.center_id.in_(center_ids) if center_ids else literal(False),)


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
    bounds = period.bounds()
    selection = Selection(
        unit=ProcessedText.response_id,
        conditions=(
            ProcessedText.survey_id == survey.id,
            ProcessedText.source_kind.in_(SURVEY_SOURCES),
            ProcessedText.occurred_at >= bounds[0],
            ProcessedText.occurred_at < bounds[1],
            *_scope_condition(center_ids),
        ),
        kinds=SURVEY_SOURCES,
        target=target if groups else None,
        groups=groups,
    )
    zone = ZoneInfo(setting("DEFAULT_CENTER_TIMEZONE"))
    return themes_report(selection, theme_labels(), bounds, zone=zone, sample=sample)


def _appeal_selection(
    bounds: tuple[datetime, datetime], center_ids: list[int] | None, kind: str | None, group: str
) -> Selection:
    return Selection(
        unit=ProcessedText.source_id,
        conditions=(
            ProcessedText.source_kind == "appeal",
            ProcessedText.occurred_at >= bounds[0],
            ProcessedText.occurred_at < bounds[1],
            *_scope_condition(center_ids),
            *((Appeal.kind == kind,) if kind else ()),
        ),
        kinds=("appeal",),
        join_appeal=True,
        fixed_group=group,
    )


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
    bounds, earlier = period.bounds(), before.bounds()
    zone = ZoneInfo(setting("DEFAULT_CENTER_TIMEZONE"))
    return themes_report(
        _appeal_selection(bounds, center_ids, kind, "low"),
        theme_labels(),
        bounds,
        zone=zone,
        previous=(_appeal_selection(earlier, center_ids, kind, "high"), earlier),
        sample=sample,
    )
