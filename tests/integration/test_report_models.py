"""The typed reports keep their JSON contract: a key the builder left out stays absent, the order stays the
builder's, a JSON report validates back into its model, and a key the model does not know is refused."""

from __future__ import annotations

import copy
import json

import pytest
from pydantic import ValidationError

from app.analysis.report_model import SatisfactionReport
from app.appeals.report_model import MonitoringReport
from tests.integration import reports_seed

demo = reports_seed.demo
satisfaction = reports_seed.satisfaction
appeals = reports_seed.appeals


def test_satisfaction_json_round_trips_through_the_model(satisfaction):
    data = satisfaction.model_dump(mode="json")
    again = SatisfactionReport.model_validate(data).model_dump(mode="json")
    assert json.dumps(again, ensure_ascii=False) == json.dumps(data, ensure_ascii=False)  # same keys, same order


def test_keys_the_builder_left_out_stay_out_of_the_json(satisfaction):
    data = satisfaction.model_dump(mode="json")
    mann_whitney = next(c for c in data["comparisons"] if c["test"] == "mann_whitney")
    assert "difference_ci" not in mann_whitney and "estimate_ci" not in mann_whitney
    across = next(c for c in data["comparisons"] if c["scope"] == "across")
    assert "center" not in across and "p_adjusted" not in across
    assert "mean" not in data["questions"]["why"] and data["questions"]["why"]["type"] == "text"
    assert "options" not in data["questions"]["overall"] and "samples" not in data["questions"]["overall"]
    assert list(data["period"]) == ["from", "to", "label"]
    assert list(data)[:3] == ["survey", "survey_title", "period"]
    assert list(data)[-4:] == ["recommendations", "actions", "methods", "sample_sizes"]


def test_unknown_keys_are_refused(satisfaction, appeals):
    data = satisfaction.model_dump(mode="json")
    drifted = copy.deepcopy(data)
    drifted["ranking"]["centers"][0]["new_score"] = 1.0
    with pytest.raises(ValidationError, match="new_score"):
        SatisfactionReport.model_validate(drifted)
    drifted = copy.deepcopy(data)
    drifted["questions"]["overall"]["median"] = 4
    with pytest.raises(ValidationError, match="median"):
        SatisfactionReport.model_validate(drifted)
    monitoring = appeals.model_dump(mode="json")
    monitoring["processing"]["promises"]["lost"] = 0
    with pytest.raises(ValidationError, match="lost"):
        MonitoringReport.model_validate(monitoring)


def test_monitoring_json_round_trips_through_the_model(appeals):
    data = appeals.model_dump(mode="json")
    assert list(data["period"]) == ["from", "to"] and appeals.period.from_ == data["period"]["from"]
    again = MonitoringReport.model_validate(data).model_dump(mode="json")
    assert json.dumps(again, ensure_ascii=False) == json.dumps(data, ensure_ascii=False)
