"""Schemathesis fuzzes every operation of the app's own OpenAPI document
against the WSGI app, signed in with a bureau admin's bearer token: no answer
is a 5xx, and every status is one the document lists for the operation.

Each operation gets a few examples in every run of the suite; the slow
variant takes EKONOMI_FUZZ_EXAMPLES of them (small by default, as the other
slow tests; at length: ``EKONOMI_FUZZ_EXAMPLES=2000 ./scripts/test -m slow``).
They are drawn from valid and from invalid requests, half of them aimed at a
company and an import that exist, so that the code behind the 404 runs too.

The operations are driven through ``APIOperation.as_strategy`` with
Hypothesis' ``@given``, not ``@schema.parametrize()``: the app (and so its
document) is a per-test fixture here, and Schemathesis' loader from a
fixture (``schemathesis.pytest.from_fixture``) fails on pytest 9.2, which
no longer has the node attribute it rewrites."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from ekonomi.web.openapi import spec
from tests.fakes import ledger
from tests.web_support import OWN, app, bearer, fake_file, token_for, wait_for  # noqa: F401

QUICK_EXAMPLES = 10
EXAMPLES = int(os.environ.get("EKONOMI_FUZZ_EXAMPLES", "30"))
CHECKS = [not_a_server_error, status_code_conformance]
OPERATIONS = [(method.upper(), path) for path, item in spec()["paths"].items() for method in item if method != "parameters"]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_answers_a_documented_status_and_never_5xx(app, method, path):
    fuzz(app, method, path, QUICK_EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_at_length(app, method, path):
    fuzz(app, method, path, EXAMPLES)


def test_the_fuzzing_reaches_past_the_404(app):
    """A fuzzed request for the company that exists gets the real answer."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema["/api/v1/companies/{orgnr}/data-source"]["GET"]
    statuses = []

    @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"orgnr": OWN}))
    def run(case: Any) -> None:
        statuses.append(case.call_and_validate(headers=bearer(token_for(app, "bureau-admin")), checks=CHECKS).status_code)

    run()
    assert statuses and set(statuses) == {200}


def fuzz(app: Any, method: str, path: str, examples: int) -> None:
    """``examples`` requests to one operation, each answer checked."""
    headers = bearer(token_for(app, "bureau-admin"))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]
    real = _real_parameters(app, headers, path)
    strategies = [operation.as_strategy(mode) for mode in GenerationMode]
    if real:
        strategies += [operation.as_strategy(mode, path_parameters=real) for mode in GenerationMode]

    # One app serves every example, as one running server would: the
    # function-scoped fixture is meant, and requests may take a while.
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=st.one_of(strategies))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def _real_parameters(app: Any, headers: dict[str, str], path: str) -> dict[str, Any]:
    """Path parameters naming what exists: the company, an import of it, a source."""
    known: dict[str, Any] = {"orgnr": OWN, "source": "fakeint"}
    if "{import_id}" in path:
        client = app.test_client()
        accepted = client.post(f"/api/v1/companies/{OWN}/imports", data={"file": fake_file(ledger())}, headers=headers)
        known["import_id"] = accepted.json["import_id"]
        wait_for(app, known["import_id"])
    return {name: value for name, value in known.items() if "{" + name + "}" in path}
