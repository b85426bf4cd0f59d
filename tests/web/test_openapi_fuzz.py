"""Property-based run of the REST API from its OpenAPI document (schemathesis): no 500s.

Every operation gets a bounded number of generated requests (valid and invalid bodies,
paths and queries) with the CSRF token, so that state-changing calls are exercised too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.web.conftest import EXAMPLES

MAX_EXAMPLES = 12


def test_api_never_answers_500(tmp_path: Path) -> None:
    from verilens.case import CaseStore
    from verilens.pipeline import Options
    from verilens.web.app import WebConfig, create_app

    store = CaseStore(str(tmp_path / "fuzz.db"))
    # only the metadata check for items the fuzzer manages to add: the point is the API
    app = create_app(WebConfig(checks={"metadata.basic"}), store=store)
    token = app.state.verilens.token
    # a real case with a real item, so that generated requests also reach existing objects
    cases = app.state.verilens.cases
    real_case = cases.new_case("fuzz")["id"]
    added = cases.add_media(real_case, [str(EXAMPLES / "nikon-e950.jpg")], None, None,
                            Options(checks={"metadata.basic", "forensics.ela"}), None)["added"]
    real_ids = {"case_id": real_case, "item_id": added[0]}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    ran = 0
    for result in schema.get_all_operations():
        op = result.ok()

        @given(case=op.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            for name, real in real_ids.items():  # half the generated ids become real ones
                if name in (case.path_parameters or {}) and len(str(case.path_parameters[name])) % 2 == 0:
                    case.path_parameters[name] = real
            response = case.call(headers={"X-CSRF-Token": token}, timeout=300)  # the gazetteer loads once, slowly
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")
            case.validate_response(response, checks=[not_a_server_error])

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{op.label}: {type(exc).__name__}: {str(exc)[:500]}")
        ran += 1
    store.close()
    assert ran >= 15
    assert not failures, "\n".join(failures)
