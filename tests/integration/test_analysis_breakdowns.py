"""Report sections that split or qualify the counts: sample-size needs per centre, the channel breakdown,
and questions whose scale changed between survey versions."""

from __future__ import annotations

import math

import pytest

from app.analysis.report import build_report
from tests.integration.test_analysis_report import Q3, SMALL_DEFINITION, add_responses, make_survey, ratings


def test_sample_size_need_per_centre_and_in_methods(org):
    """n = z²p(1−p)/m² rounded up (Cochran 1977, Sampling Techniques, §4.4): p = 0.5 → 385 (the textbook
    value), p = 0.8 → 246. A centre under 30 answers is planned at the network's share."""
    from datetime import datetime

    version = make_survey(SMALL_DEFINITION)
    add_responses(version, "KUR", datetime(2026, 8, 3, 9),
                  ratings(overall={5: 80, 2: 20}, wait={4: 100}, nps={10: 100}))
    add_responses(version, "LGV", datetime(2026, 8, 3, 9),
                  ratings(overall={5: 50, 2: 50}, wait={4: 100}, nps={10: 100}))
    add_responses(version, "SHCH", datetime(2026, 8, 3, 9),
                  ratings(overall={5: 10}, wait={4: 10}, nps={10: 10}))  # 10 answers, all top-2-box
    report = build_report("mini", *Q3)
    rows = {c["center"]: c["sample_size"] for c in report["centers"]}
    z2 = 1.959963984540054 ** 2
    assert rows["KUR"] == {"question": "overall", "needed": 246, "have": 100, "enough": False, "at_share": 0.8,
                           "basis": "center", "margin": 0.05, "confidence": 0.95}
    assert rows["KUR"]["needed"] == math.ceil(z2 * 0.8 * 0.2 / 0.05 ** 2)
    assert rows["LGV"]["needed"] == 385 and rows["LGV"]["basis"] == "center"
    network = 140 / 210
    assert rows["SHCH"]["basis"] == "network" and rows["SHCH"]["at_share"] == pytest.approx(network)
    assert rows["SHCH"]["needed"] == math.ceil(z2 * network * (1 - network) / 0.05 ** 2)
    assert rows["SHCH"]["have"] == 10
    assert rows["OBO"]["have"] == 0 and rows["OBO"]["basis"] == "network"
    assert report["methods"]["sample_size"]["margin"] == 0.05
    assert "±5" in report["methods"]["sample_size"]["text"]
