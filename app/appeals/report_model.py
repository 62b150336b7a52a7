"""The appeals monitoring report as typed pydantic models (one per section) and :class:`MonitoringReport`.

``monitoring_report`` returns a :class:`MonitoringReport`; JSON, CSV, the HTML page and the PDF are
rendered from it, and ``report.model_dump(mode="json")`` is exactly the JSON the report had as a dict
(see :class:`app.report_base.ReportModel`).
"""

from __future__ import annotations

from pydantic import Field

from app.report_base import ReportModel


class DateRange(ReportModel):
    from_: str = Field(alias="from")
    to: str


class KindCount(ReportModel):
    kind: str
    kind_name: str
    count: int
    share: float | None = None


class SubtypeCount(ReportModel):
    """Appeals of one subtype (a question is an application): shown under its kind."""

    subtype: str
    subtype_name: str
    kind: str
    count: int
    share_of_kind: float | None = None


class KindFormCount(ReportModel):
    kind: str
    form: str
    kind_name: str
    form_name: str
    count: int
    share_of_total: float | None = None
    share_of_kind: float | None = None


class KindTopicCount(ReportModel):
    kind: str
    topic: str
    kind_name: str
    topic_name: str
    count: int
    share_of_total: float | None = None
    share_of_kind: float | None = None


class CenterCount(ReportModel):
    center: str
    center_name: str
    total: int
    complaints: int
    applications: int


class PromiseCounts(ReportModel):
    open: int
    overdue: int
    kept: int
    broken: int


class Processing(ReportModel):
    """Timeliness of answers and promises kept (definitions in :mod:`app.appeals.report`)."""

    answered: int
    on_time: int
    on_time_share: float | None = None
    median_days: float | None = None
    p90_days: float | None = None
    overdue: int
    promises_kept_share: float | None = None
    promises: PromiseCounts


class RootCauseCount(ReportModel):
    code: str
    name: str
    count: int
    share: float | None = None


class PeriodFigures(ReportModel):
    """The figures of one period (the report's own, or the previous one)."""

    period: DateRange
    total: int
    by_kind: list[KindCount]
    by_kind_form: list[KindFormCount]
    by_kind_topic: list[KindTopicCount]
    by_subtype: list[SubtypeCount] = Field(default_factory=list)
    by_center: list[CenterCount]
    processing: Processing
    root_causes: list[RootCauseCount]


class ShareChange(ReportModel):
    """A share of the period against the previous period (two-proportion z-test)."""

    key: str
    label: str
    current: float | None = None
    previous: float | None = None
    difference: float | None = None
    current_count: int
    current_base: int
    previous_count: int
    previous_base: int
    test: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    significant: bool


class RegulatorCell(ReportModel):
    n_1: int
    n: int
    change_pct: float | None = None


class RegulatorRow(ReportModel):
    row: str
    label: str
    cells: dict[str, RegulatorCell]


class RegulatorForm(ReportModel):
    """The regulator's form п. 4.1: year N (the period) against year N−1, by channel row and column."""

    title: str
    year_n: DateRange
    year_n_1: DateRange
    columns: dict[str, str]
    channel_rows: dict[str, str]
    rows: list[RegulatorRow]


class Definitions(ReportModel):
    alpha: float
    test: str
    days_bucket: float


class BookingCounts(ReportModel):
    """A centre's bookings for appointments in the period, by what became of them."""

    center: str
    center_name: str
    made: int
    booked: int
    cancelled: int
    arrived: int
    no_show: int


class BookingTotals(ReportModel):
    made: int
    booked: int
    cancelled: int
    arrived: int
    no_show: int


class WindowUtilisation(ReportModel):
    """Booked minutes of a window over its open minutes (working hours minus the break, holidays excluded)."""

    center: str
    center_name: str
    window: int
    booked_minutes: int
    open_minutes: int
    utilisation: float | None = None


class NoShowHour(ReportModel):
    """Arrivals and no-shows of bookings starting in one hour; rate = no-shows / both, Wilson interval."""

    hour: int
    arrived: int
    no_show: int
    rate: float | None = None
    ci: list[float] | None = None


class UnansweredSearch(ReportModel):
    """A knowledge-base search that found nothing (the normalised text) and how often it was made."""

    query: str
    count: int


class KnowledgeBaseStats(ReportModel):
    """Knowledge-base use in the period, company-wide (articles are not per centre): searches, those that found
    nothing, article views, «Помог ли ответ?» votes with the «да» share and its 95 % Wilson interval."""

    searches: int
    zero_result_searches: int
    zero_result_share: float | None = None
    views: int
    votes_yes: int
    votes_no: int
    helpful_share: float | None = None
    helpful_ci: list[float] | None = None
    top_unanswered: list[UnansweredSearch]


class QuestionTopicCount(ReportModel):
    topic: str
    topic_name: str
    n: int


class QuestionCenterCount(ReportModel):
    center: str
    center_name: str
    n: int


class QuestionStats(ReportModel):
    """Questions to a specialist (applications of the subtype «вопрос») received in the period, in the scope."""

    total: int
    questions_by_topic: list[QuestionTopicCount]
    questions_by_center: list[QuestionCenterCount]


class InternetCokSection(ReportModel):
    """«Интернет-ЦОК»: bookings per centre, utilisation per window and no-shows by hour; knowledge-base
    use and questions to a specialist."""

    bookings: list[BookingCounts]
    bookings_total: BookingTotals
    utilisation: list[WindowUtilisation]
    no_shows_by_hour: list[NoShowHour]
    knowledge_base: KnowledgeBaseStats
    questions: QuestionStats


class LoadCell(ReportModel):
    """Expected visitors of one weekday (0 = Monday) × hour: visits booked ahead + the usual walk-ins."""

    weekday: int
    hour: int
    booked_visits: int
    booked_minutes: int
    walk_in_count: int
    days_observed: int
    walk_ins: float
    walk_ins_ci: list[float]
    expected: float
    expected_ci: list[float]


class LoadPeak(ReportModel):
    weekday: int
    hour: int
    expected: float


class CentreLoad(ReportModel):
    """A centre's expected load in the coming week, from the bookings ahead and the past weeks' feedback."""

    center: str
    center_name: str
    as_of: str
    weeks: int
    history: DateRange
    ahead: DateRange
    peak: LoadPeak | None = None
    peak_text: str
    cells: list[LoadCell]


class InternetCokStats(ReportModel):
    """The reply of ``GET /api/v1/internet-cok/stats``: the report section of the period plus expected load."""

    period: DateRange
    scope: str
    bookings: list[BookingCounts]
    bookings_total: BookingTotals
    utilisation: list[WindowUtilisation]
    no_shows_by_hour: list[NoShowHour]
    expected_load: list[CentreLoad]
    knowledge_base: KnowledgeBaseStats
    questions: QuestionStats


class MonitoringReport(ReportModel):
    """The monitoring report of a period and scope."""

    period: DateRange
    scope: str
    scope_name: str
    total: int
    by_kind: list[KindCount]
    by_kind_form: list[KindFormCount]
    by_kind_topic: list[KindTopicCount]
    by_subtype: list[SubtypeCount] = Field(default_factory=list)
    by_center: list[CenterCount]
    processing: Processing
    root_causes: list[RootCauseCount]
    previous: PeriodFigures
    changes: list[ShareChange]
    regulator_form: RegulatorForm
    generated_at: str
    definitions: Definitions
    internet_cok: InternetCokSection
