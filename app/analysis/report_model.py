"""The satisfaction report as typed pydantic models: one model per section, one :class:`SatisfactionReport`.

``build_report`` returns a :class:`SatisfactionReport`; JSON (CLI, API), CSV, the HTML page and the PDF are
rendered from it. The JSON keys are a contract with other systems, so ``report.model_dump(mode="json")``
gives exactly the JSON the report had as a dict: a key the builder did not write (a Mann–Whitney row has
no ``difference_ci``, a text question no ``mean``) stays absent instead of turning into ``null``.
Every model forbids unknown keys (:class:`app.report_base.ReportModel`), so a section that drifts from
its model fails loudly in the tests.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from app.report_base import ReportModel

Interval = list[float]


class PeriodInfo(ReportModel):
    """A period as the report writes it (``Period.to_dict``)."""

    from_: str = Field(alias="from")
    to: str
    label: str | None = None


# --------------------------------------------------------------------------- questions


class OptionShare(ReportModel):
    label: str
    k: int
    share: float | None = None
    ci: Interval | None = None


class QuestionMeasure(ReportModel):
    """One question's measure in one group; which keys are written depends on the question type
    (scale: mean/top-2-box; NPS: categories; choice: options; text: samples)."""

    type: str
    n: int
    mean: float | None = None
    sd: float | None = None
    mean_ci: Interval | None = None
    top2box: float | None = None
    top2box_ci: Interval | None = None
    top2box_k: int | None = None
    distribution: dict[str, int] | None = None
    nps: float | None = None
    nps_ci: Interval | None = None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None
    options: dict[str, OptionShare] | None = None
    samples: list[str] | None = None
    text: str | None = None


Questions = dict[str, QuestionMeasure]


class SampleSizeNeed(ReportModel):
    question: str
    needed: int
    have: int
    enough: bool
    at_share: float
    basis: str
    margin: float
    confidence: float


class CenterRow(ReportModel):
    center: str
    name: str
    branch: str | None = None
    branch_name: str | None = None
    n: int
    low_n: bool
    questions: Questions
    sample_size: SampleSizeNeed | None = None


class BranchRow(ReportModel):
    branch: str
    name: str
    n: int
    low_n: bool
    centers: list[str]
    questions: Questions


class ScaleChange(ReportModel):
    question: str
    kept_versions: list[int]
    excluded_versions: list[int]
    answers_left_out: int
    note: str


# --------------------------------------------------------------------------- tests


class Comparison(ReportModel):
    """A test across centres (``scope`` "across") or of one centre against the rest (``scope`` "center")."""

    question: str
    scope: str
    test: str
    statistic: float | None = None
    p_value: float | None = None
    df: float | None = None
    measure: str
    groups: int | None = None
    extra: dict[str, float | bool | str | None] | None = None
    center: str | None = None
    n: int | None = None
    n_rest: int | None = None
    estimate: float | None = None
    estimate_ci: Interval | None = None
    rest: float | None = None
    difference: float | None = None
    difference_ci: Interval | None = None
    p_adjusted: float | None = None
    significant: bool | None = None
    family_size: int | None = None
    direction: str | None = None


class Change(ReportModel):
    """Current period against the previous one, for the network (``center`` None) or one centre."""

    question: str
    center: str | None = None
    n: int
    n_previous: int
    test: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    df: float | None = None
    measure: str | None = None
    current: float | None = None
    current_ci: Interval | None = None
    previous: float | None = None
    previous_ci: Interval | None = None
    difference: float | None = None
    difference_ci: Interval | None = None
    low_n: bool
    significant: bool
    direction: str | None = None
    p_adjusted: float | None = None
    family_size: int | None = None


class PreviousSection(ReportModel):
    period: PeriodInfo
    n_responses: int
    questions: list[Change]
    centers: list[Change]
    notes: list[str]


# --------------------------------------------------------------------------- trends


class ArmitageTest(ReportModel):
    test: str
    statistic: float | None = None
    p_value: float | None = None
    df: float | None = None
    slope: float | None = None
    scores: list[int]
    direction: str


class NpsRegression(ReportModel):
    test: str
    slope: float | None = None
    ci: Interval | None = None
    se: float | None = None
    t: float | None = None
    p_value: float | None = None
    df: int | None = None
    n: int
    intercept: float | None = None
    direction: str | None = None
    scores: list[int]


class MannKendall(ReportModel):
    s: float
    var_s: float
    z: float
    p_value: float | None = None
    sen_slope: float | None = None
    direction: str
    n: int
    tau: float | None = None


class TrendPoint(ReportModel):
    quarter: str
    index: int
    n: int
    mean: float | None = None
    top2box: float | None = None
    top2box_ci: Interval | None = None
    top2box_k: int | None = None
    nps: float | None = None
    nps_ci: Interval | None = None
    promoters: int | None = None
    passives: int | None = None
    detractors: int | None = None


class QuestionTrend(ReportModel):
    points: list[TrendPoint]
    cochran_armitage: ArmitageTest | None = None
    mann_kendall: MannKendall | None = None
    regression: NpsRegression | None = None
    direction: str | None = None
    note: str | None = None


class TrendSection(ReportModel):
    quarters: list[PeriodInfo]
    questions: dict[str, QuestionTrend]
    notes: list[str]


class MonthInfo(ReportModel):
    month: str
    index: int
    from_: str = Field(alias="from")
    to: str
    label: str | None = None


class MonthlyShare(ReportModel):
    month: str
    index: int
    n: int
    k: int
    share: float | None = None
    ci: Interval | None = None
    low_n: bool


class MonthlyNps(ReportModel):
    month: str
    index: int
    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None = None
    ci: Interval | None = None
    low_n: bool


class MonthlyTop2box(ReportModel):
    question: str
    points: list[MonthlyShare]
    cochran_armitage: ArmitageTest | None = None
    direction: str | None = None
    note: str | None = None


class MonthlyNpsSeries(ReportModel):
    question: str
    points: list[MonthlyNps]
    regression: NpsRegression | None = None
    direction: str | None = None
    note: str | None = None


class MonthlySection(ReportModel):
    months: list[MonthInfo]
    top2box: MonthlyTop2box | None = None
    nps: MonthlyNpsSeries | None = None
    notes: list[str]


# --------------------------------------------------------------------------- channels, drivers, reliability


class ChannelShare(ReportModel):
    n: int
    k: int
    share: float | None = None
    ci: Interval | None = None


class ChannelNps(ReportModel):
    n: int
    nps: float | None = None
    ci: Interval | None = None


class ChannelRow(ReportModel):
    channel: str
    label: str
    n: int
    share_of_responses: float | None = None
    low_n: bool
    top2box: ChannelShare | None = None
    nps: ChannelNps | None = None


class MixTest(ReportModel):
    test: str
    statistic: float | None = None
    p_value: float | None = None
    df: float | None = None
    largest_change: float
    largest_change_channel: str


class ChannelsSection(ReportModel):
    question: str | None = None
    nps_question: str | None = None
    period: PeriodInfo
    previous_period: PeriodInfo
    current: list[ChannelRow]
    previous: list[ChannelRow]
    mix_test: MixTest | None = None
    mix_note: str | None = None
    min_change: float


class DriverAttribute(ReportModel):
    question: str
    weight: float
    share_of_r2: float
    beta: float
    performance: float | None = None
    performance_ci: Interval | None = None
    quadrant: str
    quadrant_label: str


class CenterDriver(ReportModel):
    question: str
    importance: float
    performance: float
    network_performance: float | None = None
    quadrant: str


class DriversSection(ReportModel):
    target: str | None = None
    r2: float | None = None
    n: int
    attributes: list[DriverAttribute]
    centers: dict[str, list[CenterDriver]]
    note: str | None = None


class ReliabilityBlock(ReportModel):
    block: str
    items: list[str]
    alpha: float | None = None
    n: int
    k: int
    warning: str | None = None


# --------------------------------------------------------------------------- appeals, control charts, ranking


class ShareWithN(ReportModel):
    k: int
    n: int
    share: float | None = None
    ci: Interval | None = None
    low_n: bool


class AppealsCenter(ReportModel):
    center: str
    name: str
    on_time: ShareWithN
    promises: ShareWithN


class AppealsSection(ReportModel):
    on_time_target: float
    promises_target: float
    on_time: ShareWithN
    promises: ShareWithN
    centers: list[AppealsCenter]


class ControlPoint(ReportModel):
    label: str
    count: int
    n: int
    share: float
    center: float
    lcl: float
    ucl: float
    beyond: str | None = None


class ControlChart(ReportModel):
    points: list[ControlPoint]
    laney_used: bool
    sigma_z: float | None = None
    center_line: float
    center: str
    name: str
    low_n: bool


class FunnelPoint(ReportModel):
    label: str
    count: int
    n: int
    share: float
    p0: float
    z: float | None = None
    lower_95: float
    upper_95: float
    beyond_95: str | None = None
    lower_99_8: float
    upper_99_8: float
    beyond_99_8: str | None = None
    low_n: bool


class ControlSignal(ReportModel):
    center: str
    kind: str
    month: str | None = None
    quarter: str | None = None
    share: float
    limit: float
    center_line: float
    count: int
    n: int
    laney_used: bool | None = None
    z: float | None = None
    topic: str | None = None


class ComplaintsControlSection(ReportModel):
    months: list[str]
    centers: list[ControlChart]
    funnel: list[FunnelPoint]
    signals: list[ControlSignal]
    network: ShareWithN | None = None
    notes: list[str]


class RankRow(ReportModel):
    level: str
    code: str
    name: str
    n: int
    low_n: bool
    rank: int | None = None
    rank_range: list[int] | None = None
    p_bottom: float | None = None
    index: float | None = None
    index_ci: Interval | None = None
    index_raw: float | None = None
    components: dict[str, float | None]
    components_shrunk: dict[str, float | None] | None = None
    top2box: float | None = None
    top2box_ci: Interval | None = None
    top2box_shrunk: float | None = None
    top2box_shrunk_ci: Interval | None = None


class Prior(ReportModel):
    """A fitted beta (shares) or Dirichlet (NPS categories: ``alpha`` and ``mean`` per category) prior."""

    alpha: float | list[float]
    beta: float | None = None
    mean: float | list[float]
    strength: float
    method: str
    groups: int


class RankSimulation(ReportModel):
    ranked: int
    bottom_places: int
    priors: dict[str, Prior]


class Simulation(ReportModel):
    draws: int
    seed: int
    rank_level: float
    centers: RankSimulation
    branches: RankSimulation


class RankingSection(ReportModel):
    weights: dict[str, float]
    target: str | None = None
    centers: list[RankRow]
    branches: list[RankRow]
    simulation: Simulation
    note: str


# --------------------------------------------------------------------------- recommendations, actions, methods


class Evidence(ReportModel):
    """The test behind a recommendation; the rule-specific keys (estimate_ci, current_ci, count) are optional."""

    test: str
    alternative: str | None = None
    measure: str
    estimate: float | None = None
    reference: float | None = None
    difference: float | None = None
    difference_ci: Interval | None = None
    n: int
    n_reference: int | None = None
    p_value: float | None = None
    q_value: float | None = None
    min_effect: float | None = None
    estimate_ci: Interval | None = None
    current_ci: Interval | None = None
    count: int | None = None
    family_size: int | None = None


class RelatedFinding(ReportModel):
    rule: str
    finding: str


class Recommendation(ReportModel):
    rule: str
    center: str
    center_name: str
    level: str
    question: str
    question_label: str
    finding: str
    why: str
    expected_effect: str
    action: str
    responsible_role: str
    priority: float
    gap: float
    affected: int
    quadrant: str | None = None
    evidence: Evidence
    related_findings: list[RelatedFinding]


class ActionRow(ReportModel):
    """A corrective action of the report's scope (``actions.action_dict``); ``effect`` is the free-form
    difference-in-differences result of :mod:`app.analysis.effects`."""

    id: int
    title: str
    finding: str
    center: str | None = None
    owner_name: str | None = None
    metric: str
    survey: str | None = None
    status: str
    status_label: str
    priority: float
    due_date: str | None = None
    started_on: str | None = None
    done_on: str | None = None
    effect: dict[str, Any] | None = None


class RecommendationFamily(ReportModel):
    family: str
    adjustment: str
    rule: str
    family_size: int
    tests_by_rule: dict[str, int]
    fdr: float
    min_effect: dict[str, float]
    discoveries: int


class SampleSizeMethod(ReportModel):
    margin: float
    confidence: float
    own_share_from: int
    text: str


class RankingMethod(ReportModel):
    weights: dict[str, float]
    scaling: str
    shrinkage: str
    rank: str


class MethodsSection(ReportModel):
    confidence: float
    alpha: float
    min_n: int
    time_zone: str
    weighting: str
    intervals: dict[str, str]
    tests: dict[str, str]
    low_n: str
    sampling: str
    scale_changes: str
    sample_size: SampleSizeMethod
    sample_cap: int
    sample_capped: bool
    ranking: RankingMethod
    priority: dict[str, str]
    on_time_target: float
    promises_target: float
    recommendations: RecommendationFamily | None = None


class TrendN(ReportModel):
    quarter: str
    n: int


class SampleSizes(ReportModel):
    period: int
    previous_period: int | None = None
    centers: dict[str, int]
    drivers_complete_cases: int
    drivers_sample_capped: bool
    trend: list[TrendN]


# --------------------------------------------------------------------------- the report


class DecisionBasis(ReportModel):
    """The figures and tests the recommendations are drawn from, and nothing else: what
    :func:`app.analysis.report.build_decisions` builds and the full report extends."""

    survey: str
    survey_title: str
    period: PeriodInfo
    scope: str
    scope_code: str
    scope_name: str
    scope_kind: str
    confidence: float
    min_n: int
    n_responses: int
    notes: list[str]
    scale_changes: list[ScaleChange]
    questions: Questions
    centers: list[CenterRow]
    branches: list[BranchRow]
    comparisons: list[Comparison]
    previous: PreviousSection | None = None
    drivers: DriversSection
    appeals: AppealsSection
    complaints_control: ComplaintsControlSection


class ReportCore(DecisionBasis):
    """The report's figures and tests: the decision basis and the sections that only describe."""

    trend: TrendSection
    monthly: MonthlySection
    channels: ChannelsSection
    reliability: list[ReliabilityBlock]
    ranking: RankingSection


class SatisfactionReport(ReportCore):
    """The whole satisfaction report of one survey, period and scope."""

    recommendations: list[Recommendation]
    actions: list[ActionRow]
    methods: MethodsSection
    sample_sizes: SampleSizes

    def to_json(self) -> dict[str, Any]:
        """The report as the JSON of ``flask analysis report --format json`` and the API."""
        return self.model_dump(mode="json")
