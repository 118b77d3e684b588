"""Schemathesis hooks of the fuzzing gate, loaded through SCHEMATHESIS_HOOKS by tests/fuzz/run.py.

- Every unsafe request carries a fresh ``Idempotency-Key``: a generated key could repeat across
  cases, and the ledger rightly answers a key reused with another body with 409.
- A path's estate ``code`` (and ``household_id``) is most often the fuzzing estate's own
  (``XINYI_FUZZ_ESTATE``, ``XINYI_FUZZ_HOUSEHOLDS``), so that its members get past authorisation and
  the operations behind it are exercised; otherwise the generated value stays (another estate, or
  none: refusals must be well-formed too).
- The fuzzer writes only to what is its own: the platform is shared (the demo estate, other tests'
  estates, the district they bill). An unsafe request whose path names an estate, district or
  sub-district that is neither the fuzzing estate nor one this run created is sent to a well-formed
  name that does not exist instead; suspending, resuming and offboarding, which would leave the
  rest of the run a read-only estate, touch only estates this run created.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis import Case, HookContext, Response

ESTATE = os.environ.get("XINYI_FUZZ_ESTATE", "")
HOUSEHOLDS = [household for household in os.environ.get("XINYI_FUZZ_HOUSEHOLDS", "").split(",") if household]
OWN_IN_FOUR = 3  # of four cases, those whose path names the fuzzing estate
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SCOPES = ("code", "district", "sub_district")  # path parameters that name something shared
LIFECYCLE = ("/suspend", "/resume", "/offboard")
# A value that could name an existing estate or area; anything else cannot exist and may stay.
WELL_FORMED = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CREATING = {"/v1/estates": "code", "/v1/districts": "code", "/v1/districts/{district}/sub-districts": "code"}

created: set[str] = set()  # estates and areas this run created: its own to change


@schemathesis.hook
def flatmap_path_parameters(context: HookContext, path_parameters: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    # Drawn by Hypothesis (not `random`, which Hypothesis seeds the same for every case), so a
    # failing case replays and shrinks like any other.
    if not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path if context.operation is not None else ""
    choices: dict[str, st.SearchStrategy[Any]] = {name: st.just(value) for name, value in path_parameters.items()}
    if ESTATE and "code" in path_parameters and not path.endswith(LIFECYCLE):
        choices["code"] = st.sampled_from([ESTATE] * OWN_IN_FOUR + [path_parameters["code"]])
    if HOUSEHOLDS and "household_id" in path_parameters:
        choices["household_id"] = st.one_of(st.sampled_from(HOUSEHOLDS), st.just(path_parameters["household_id"]))
    return st.fixed_dictionaries(choices)


@schemathesis.hook
def before_call(context: HookContext, case: Case, kwargs: dict[str, Any]) -> None:
    if case.method.upper() not in UNSAFE:
        return
    headers = dict(case.headers or {})
    for name in [name for name in headers if name.lower() == "idempotency-key"]:
        del headers[name]
    headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4()}"
    case.headers = headers

    parameters = dict(case.path_parameters or {})
    own = created if case.path.endswith(LIFECYCLE) else created | {ESTATE}
    for name in SCOPES:
        value = parameters.get(name)
        if isinstance(value, str) and WELL_FORMED.match(value) and value not in own:
            parameters[name] = f"absent-{uuid.uuid4().hex[:12]}"
    if parameters:
        case.path_parameters = parameters


@schemathesis.hook
def after_call(context: HookContext, case: Case, response: Response) -> None:
    field = CREATING.get(case.path)
    if case.method.upper() != "POST" or field is None or response.status_code not in (200, 201):
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        return
    if isinstance(body, dict) and isinstance(body.get(field), str):
        created.add(body[field])
