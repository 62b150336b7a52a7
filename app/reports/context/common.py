"""Shared by the report contexts: Russian names of kinds, forms, topics, tests and rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Progress = Callable[[int], None]

KIND_LABELS = {"complaint": "Жалобы", "application": "Заявления"}
KIND_ONE = {"complaint": "жалоба", "application": "заявление"}
FORM_LABELS = {"in_person": "Очно", "remote": "Заочно", "interactive": "Интерактивно"}
TOPIC_FALLBACK = {
    "connection": "Технологическое присоединение",
    "transmission": "Передача и энергоснабжение",
    "metering": "Учет электроэнергии",
    "quality": "Качество электроэнергии",
    "other": "Прочие вопросы",
}
ACTION_STATUS = {"planned": "Запланировано", "in_progress": "Выполняется", "done": "Выполнено", "cancelled": "Отменено"}
TEST_NAMES = {
    "two_proportion_z": "z-тест для двух долей",
    "nps_difference": "разность NPS (интервал Вальда)",
    "nps_difference_z": "z-тест разности NPS",
    "mann_whitney": "критерий Манна — Уитни",
    "chi2": "критерий хи-квадрат",
    "chi_square": "критерий хи-квадрат",
    "kruskal": "критерий Краскела — Уоллиса",
    "kruskal_wallis": "критерий Краскела — Уоллиса",
    "cochran_armitage": "тест Кокрена — Армитиджа",
    "mann_kendall": "тест Манна — Кендалла",
    "chi2_top2box": "хи-квадрат для доли оценок «4» и «5»",
    "chi_square_top2box": "хи-квадрат для доли оценок «4» и «5»",
    "chi_square_nps": "хи-квадрат для долей промоутеров, нейтральных и критиков",
    "binomial": "точный биномиальный тест",
    "binomial_one_sided": "односторонний биномиальный тест",
    "one_sided_binomial": "односторонний биномиальный тест",
    "binomtest": "точный биномиальный тест",
    "one_proportion_z": "z-тест для доли",
    "p_chart": "контрольная p-карта",
    "funnel": "воронкообразная диаграмма",
    "nps_regression": "регрессия оценок NPS (−1/0/+1) по времени",
    "ols_score_regression": "регрессия оценок NPS (−1/0/+1) по времени",
    "linear_trend": "линейный тренд",
    "binomial_exact": "точный биномиальный тест",
    "welch_t": "t-тест Уэлча",
    "t_test": "t-тест",
    "difference_in_differences": "разность разностей",
}
RULE_NAMES = {
    "below_rest": "ЦОК ниже остальной сети",
    "ipa_network": "матрица «важность — оценка» по сети",
    "ipa_center": "матрица «важность — оценка» в ЦОК",
    "decline": "снижение к прошлому периоду",
    "complaints_p_chart": "доля жалоб за контрольной границей p-карты",
    "complaints_funnel": "доля жалоб за границей воронки",
    "on_time_below_target": "ответы в срок ниже цели",
    "promises_below_target": "выполнение обещаний ниже цели",
    "on_time": "ответы в срок ниже цели",
    "promises": "выполнение обещаний ниже цели",
    "complaints_above_network": "доля жалоб выше средней по сети",
}
RANK_COMPONENTS = {
    "top2box": "удовлетворенность",
    "nps": "NPS",
    "complaints": "доля жалоб",
    "on_time": "ответы в срок",
    "promises": "выполненные обещания",
    "satisfaction": "удовлетворенность",
}
SPECIAL_TITLES = {"on_time": "Ответы на обращения в срок", "promises": "Выполнение обещаний клиентам"}
# The significant direction of a trend, agreed in gender with its noun.
TREND_VERDICT = {
    "up": "значимый рост",
    "down": "значимое снижение",
    "increasing": "значимый рост",
    "decreasing": "значимое снижение",
}
ROLE_FALLBACK = {
    "center": "начальник ЦОК",
    "branch": "руководитель службы по работе с клиентами филиала",
    "company": "руководитель службы по работе с клиентами компании",
}
MONTHS = ["янв.", "февр.", "март", "апр.", "май", "июнь", "июль", "авг.", "сент.", "окт.", "нояб.", "дек."]
METHOD_LABELS = {
    "weighting": "Взвешивание",
    "intervals": "Интервалы",
    "tests": "Проверки",
    "low_n": "Малые выборки",
    "sampling": "Выборка для анализа факторов",
    "ranking": "Сводный индекс",
    "priority": "Приоритет рекомендаций",
    "family": "Семейство проверок рекомендаций",
    "min_effect": "Минимальный практически значимый эффект",
    "mean": "средний балл",
    "top2box": "доля оценок «4» и «5»",
    "choice": "доля варианта ответа",
    "nps": "NPS",
    "difference_of_shares": "разность долей",
    "across_centers": "различия между ЦОК",
    "center_vs_rest": "ЦОК против остальной сети",
    "previous_period": "изменение к прошлому периоду",
    "trend": "тренд",
    "complaints": "доля жалоб",
    "drivers": "факторы удовлетворенности",
    "reliability": "надежность блоков",
    "scaling": "шкалы составляющих",
    "impact": "влияние",
    "gap": "разрыв",
    "confidence": "уверенность",
    "formula": "формула",
    "monthly": "помесячная динамика",
    "shrinkage": "сглаживание оценок ЦОК",
    "channels": "каналы",
    "sample_size": "объем выборки",
    "recommendations": "Рекомендации",
    "rank": "места",
    "adjustment": "поправка",
    "rule": "правило",
    "meaning": "смысл",
    "affected": "затронутые клиенты",
}
# English words that reached the methods texts of the report (a formula): shown in Russian.
TERM_WORDS = {
    "priority": "приоритет",
    "impact": "влияние",
    "gap": "разрыв",
    "confidence": "уверенность",
    "gain": "выигрыш",
    "share": "доля",
    "mean": "среднее",
    "nps": "NPS",
    "top2box": "доля «4»+«5»",
    "min_effect": "минимальный эффект",
    "q_value": "q-значение",
    "p_value": "p-значение",
    "family_size": "число проверок",
    "difference": "разность",
    "n": "n",
}


def _noop(_: int) -> None:
    return None


def test_name(code: Any) -> str:
    """A test's Russian name (an unknown one is not printed as its identifier)."""
    return TEST_NAMES.get(str(code or ""), "статистический критерий")
