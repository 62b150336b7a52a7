"""Schemathesis against /api/v1/openapi.json in-process: no server errors, responses conform to the document.

The schemathesis pytest plugin's fixture loader does not work with pytest 9, so each operation's
strategy is driven by hypothesis directly (20 examples per operation, no shrinking).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.test_security_support import published_survey

EXAMPLES = settings(
    max_examples=20,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def run_schema(app, checks) -> int:
    published_survey("visit-csat", "Анкета", centers=("KUR", "LGV"))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:

        @EXAMPLES
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(checks=checks)

        check()
    return len(operations)


def test_api_has_no_server_errors_and_conforms_to_its_document(app, org):
    assert run_schema(app, CONFORMANCE) >= 4


def test_api_accepts_every_request_its_document_allows(app, org):
    run_schema(app, [positive_data_acceptance])
