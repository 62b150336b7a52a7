"""What one satisfaction report reads, fetched once: :class:`ReportInputs`.

The report's sections (:mod:`app.analysis.report`, :mod:`app.analysis.operations`) are functions of these
inputs and of the typed results of the sections they depend on. The inputs are read-only for them: no
section leaves a value here for another one to pick up (period counts and the respondent sample are
memoised fetches, not results). Living in its own module, the inputs are imported by both section modules
without an import cycle.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask import current_app

from app.analysis import measures, queries
from app.analysis.measures import QuestionInfo, merge_counts, nest_counts
from app.models import Organisation, OrgKind


@dataclass(frozen=True)
class RespondentSample:
    """Complete answers of respondents of the period (drivers, reliability): at most ``ANALYSIS_SAMPLE_CAP``
    responses, ``capped`` when the systematic sample was needed."""

    frame: Any
    capped: bool


class ReportInputs:
    """Everything one report needs, fetched once; read-only for the sections."""

    def __init__(
        self, survey, period: queries.Period, scope: Organisation | None, min_n: int, confidence: float
    ) -> None:
        self.survey, self.period, self.scope = survey, period, scope
        self.min_n, self.confidence, self.alpha = min_n, confidence, 1.0 - confidence
        versions = queries.survey_versions(survey)
        self.definitions = [definition for _, _, definition in versions]
        self.catalogue: dict[str, QuestionInfo] = measures.question_catalogue(self.definitions)
        self.settings = measures.analysis_settings(self.definitions, self.catalogue)
        self.tree = queries.org_tree()
        self.centers = queries.scope_centers(scope)
        self.center_ids = None if scope is None or scope.kind == OrgKind.COMPANY else [c.id for c in self.centers]
        self.center_ids_all = [c.id for c in self.centers]
        self.bounds = period.bounds()
        self.counted = [c for c, q in self.catalogue.items() if q.type != "text"]
        frame = queries.value_counts(survey.id, [self.bounds], self.center_ids, self.counted, by_version=True)
        # A question whose scale changed between the versions answering in the period is not pooled.
        self.excluded, self.scale_changes = self._scale_changes(versions, frame)
        if self.excluded and len(frame):
            dropped = [
                v in self.excluded.get(c, ()) for c, v in zip(frame["question_code"], frame["version_id"], strict=True)
            ]
            frame = frame[[not d for d in dropped]]
        self.numeric = [c for c, q in self.catalogue.items() if q.is_numeric]
        self.by_center = {key[1]: value for key, value in nest_counts(frame).items()}
        responses = queries.response_counts(survey.id, [self.bounds], self.center_ids)
        self.n_by_center = {int(c): int(n) for c, n in zip(responses["center_id"], responses["n"], strict=True)}
        self.n_total = sum(self.n_by_center.values())
        self.network = merge_counts(self.by_center.values())
        multi = [c for c, q in self.catalogue.items() if q.type == "multi_choice"]
        self.respondents = queries.distinct_respondents(survey.id, self.bounds, self.center_ids, multi, self.excluded)
        self._period_cache: dict[tuple, dict] = {self.bounds: self.by_center}
        self._sample: RespondentSample | None = None

    # ------------------------------------------------------------------ helpers

    def _scale_changes(
        self, versions: list[tuple[int, int, dict]], frame: Any
    ) -> tuple[dict[str, list[int]], list[dict[str, Any]]]:
        """Per question: the scale of the newest version answering in the period (the newest definition when
        none does) is kept; every version with another scale (type, bounds, options) is left out of all
        reads of the report, so neither the period nor its comparisons over time pool two scales. The
        catalogue describes the kept scale; ``changes`` lists the answers of the period left out."""
        per_version = {vid: measures.question_catalogue([definition]) for vid, _, definition in versions}
        numbers = {vid: number for vid, number, _ in versions}
        answered: Counter = Counter()
        for code, version, count in zip(frame["question_code"], frame["version_id"], frame["count"], strict=True):
            answered[(code, int(version))] += int(count)
        excluded: dict[str, list[int]] = {}
        changes: list[dict[str, Any]] = []
        for code in self.counted:
            vids = [vid for vid, _, _ in versions if answered.get((code, vid))]
            known = [vid for vid in vids if code in per_version[vid]]
            kept_info = per_version[known[-1]][code] if known else self.catalogue[code]
            scale = _scale_signature(kept_info)
            if scale != _scale_signature(self.catalogue[code]):  # a newer version without answers yet
                kept_info.text = self.catalogue[code].text
                self.catalogue[code] = kept_info
            other = [
                vid
                for vid, _, _ in versions
                if code in per_version[vid] and _scale_signature(per_version[vid][code]) != scale
            ]
            drop = [vid for vid in vids if vid in other or code not in per_version[vid]]
            if other or drop:
                excluded[code] = sorted(set(other) | set(drop))
            if not drop:
                continue
            left_out = sum(answered[(code, vid)] for vid in drop)
            changes.append(
                {
                    "question": code,
                    "kept_versions": [numbers[v] for v in vids if v not in drop],
                    "excluded_versions": [numbers[v] for v in drop],
                    "answers_left_out": left_out,
                    "note": (
                        f"Вопрос «{self.catalogue[code].text or code}»: шкала менялась между версиями анкеты; "
                        f"учтены только ответы версий с последней шкалой "
                        f"({', '.join(str(numbers[v]) for v in vids if v not in drop)}), не учтено "
                        f"{_answers(left_out)} версий {', '.join(str(numbers[v]) for v in drop)}."
                    ),
                }
            )
        return excluded, changes

    def prefetch_periods(self, periods: list[tuple]) -> None:
        """Fetch the counts of several non-overlapping periods in one grouped query (trend quarters)."""
        missing = [b for b in dict.fromkeys(periods) if b not in self._period_cache]
        if not missing:
            return
        frame = queries.value_counts(
            self.survey.id, missing, self.center_ids, self.numeric, exclude_versions=self.excluded
        )
        nested = nest_counts(frame)
        for index, bounds in enumerate(missing):
            self._period_cache[bounds] = {key[1]: value for key, value in nested.items() if key[0] == index}

    def period_counts(self, bounds: tuple) -> dict:
        """``{center_id: {code: {value: count}}}`` of one period; each period is queried once per report."""
        if bounds not in self._period_cache:
            frame = queries.value_counts(
                self.survey.id, [bounds], self.center_ids, self.numeric, exclude_versions=self.excluded
            )
            self._period_cache[bounds] = {key[1]: value for key, value in nest_counts(frame).items()}
        return self._period_cache[bounds]

    def low_n(self, n: int) -> bool:
        return n < self.min_n

    def center_code(self, center_id: int) -> str:
        org = self.tree.get(center_id)
        return org.code if org else str(center_id)

    def branch_of(self, center: Organisation) -> Organisation | None:
        bid = queries.branch_id_of(center, self.tree)
        return self.tree.get(bid) if bid else None

    def ranked_ids(self) -> list[int]:
        """Centres with enough responses to enter tests, rankings and recommendations."""
        return [c.id for c in self.centers if not self.low_n(self.n_by_center.get(c.id, 0))]

    def group_questions(self, counts: dict[str, Counter]) -> dict[str, Any]:
        return {
            code: measures.measure(info, counts.get(code), self.confidence)
            for code, info in self.catalogue.items()
            if info.is_numeric
        }

    def respondent_sample(self) -> RespondentSample:
        """Per-respondent scores of the target, the drivers and the blocks, fetched once per report."""
        if self._sample is None:
            codes = [
                c
                for c in [
                    self.settings["target"],
                    *self.settings["drivers"],
                    *(c for b in self.settings["blocks"].values() for c in b),
                ]
                if c
            ]
            cap = int(current_app.config.get("ANALYSIS_SAMPLE_CAP", queries.SAMPLE_CAP_DEFAULT))
            frame, capped = queries.respondent_scores(
                self.survey.id, self.bounds, self.center_ids, codes, cap, self.excluded
            )
            self._sample = RespondentSample(frame, bool(capped))
        return self._sample


def _scale_signature(info: QuestionInfo | None) -> tuple | None:
    """What makes answers of two versions comparable: type, scale bounds and the set of options."""
    if info is None:
        return None
    return (info.type, info.scale_min, info.scale_max, tuple(sorted(info.options)))


def _answers(n: int) -> str:
    """«1 ответ», «3 ответа», «25 ответов»."""
    tail, tens = n % 10, n % 100
    word = "ответ" if tail == 1 and tens != 11 else ("ответа" if 2 <= tail <= 4 and not 12 <= tens <= 14 else "ответов")
    return f"{n} {word}"
