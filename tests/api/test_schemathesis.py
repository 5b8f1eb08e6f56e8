"""Property-based run of the v2 API against the OpenAPI document the product serves.

Schemathesis generates requests for every operation whose command exists and checks the
replies: no 5xx, the documented status codes and content type, and data that fits the
schema. ``POST /browser/{application}/install`` is left out: a generated request that
happens to be valid would queue a real install (its checks are covered by
tests/installs/test_check_install.py and the dryrun tests here).
"""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.api.dispatch import COMMANDS

EXAMPLES = 15
SKIPPED = {"install"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _operations(doc: dict):
    schema = schemathesis.openapi.from_dict(doc)
    for result in schema.get_all_operations():
        operation = result.ok()
        cmd = operation.definition.raw.get("x-installatron-cmd")
        if cmd in COMMANDS and cmd not in SKIPPED:
            yield operation


def test_the_openapi_document_describes_every_v2_route(live_server):
    from apps.api.dispatch import V2_ROUTES

    response = requests.get(f"{live_server.url}/api/v2/openapi.json", timeout=30)
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key"}
    described = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert described == {(method, "/" + pattern) for method, pattern, _, _ in V2_ROUTES}
    # a route whose command has not landed says so, instead of promising data
    unsupported = [op for ops in doc["paths"].values() for op in ops.values()
                   if op["x-installatron-cmd"] not in COMMANDS]
    assert all(set(op["responses"]) == {"501", "403"} for op in unsupported)


def test_generated_requests_get_no_5xx_and_replies_that_fit_the_schema(
        live_server, api_key, user, stranger):
    doc = requests.get(f"{live_server.url}/api/v2/openapi.json", timeout=30).json()
    operations = list(_operations(doc))
    assert len(operations) >= 10
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @hsettings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                   suppress_health_check=list(HealthCheck))
        def run(case):
            case.call_and_validate(base_url=live_server.url,
                                   headers={"X-API-Key": api_key}, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}:\n{str(exc)[:3000]}")
    assert not failures, "\n\n".join(failures)
