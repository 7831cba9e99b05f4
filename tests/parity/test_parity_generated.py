"""Parity, generated: hypothesis draws plain dlt rest_api configs from a grammar
(tests/parity/grammar.py) and runs each through dlt's ``rest_api_source`` and restsync's against
the fake API. Both must give the same tables (names, columns with types, rows), the same requests
where dlt's are deterministic, and the same failures: both raise or neither does, and the
resource dlt names as failed is one restsync names.

``make test`` runs a fixed slice (25 examples, derandomized); ``make fuzz-parity`` runs
``PARITY_EXAMPLES`` new ones, shrinking a failure to a small config (``PARITY_SEED`` repeats a
run). ``PARITY_VERBOSE=1`` prints every config and both outcomes. Each difference it found is
a fixed case in test_parity_generated_found.py.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

from tests.parity.grammar import ConfigOf, generated_cases
from tests.parity.harness import SIDES, Case, Outcome, ParityRun, explain

FUZZING = "PARITY_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("PARITY_EXAMPLES", "25"))
_runs = itertools.count()


def without_tokens(requests: list[Any]) -> tuple[list[Any], Counter[str]]:
    """The requests but OAuth2 token requests, and the number of those per round: dlt fetches a
    token per resource, restsync one per credential and run (docs/dlt-differences.md, "OAuth2
    client credentials on several resources")."""
    tokens = Counter(r[0] for r in requests if r[2] == "/oauth/token")
    return [r for r in requests if r[2] != "/oauth/token"], tokens


def failed_resources(outcome: Outcome, names: list[str]) -> set[str]:
    return {name for name in names if name in outcome.error}


def assert_same(case: Case, dlt_side: Outcome, restsync_side: Outcome) -> None:
    assert dlt_side.kind != "config_error", f"the grammar drew a config dlt refuses: {dlt_side}"
    assert dlt_side.kind == restsync_side.kind, explain(dlt_side, restsync_side)
    if dlt_side.kind == "tables":
        assert dlt_side.tables == restsync_side.tables, explain(dlt_side, restsync_side)
        if case.requests:
            theirs, their_tokens = without_tokens(dlt_side.requests)
            ours, our_tokens = without_tokens(restsync_side.requests)
            assert theirs == ours, explain(dlt_side, restsync_side)
            # a token in every round dlt asks for one, never more requests for them than dlt's
            assert our_tokens.keys() == their_tokens.keys(), (our_tokens, their_tokens)
            assert all(our_tokens[r] <= their_tokens[r] for r in our_tokens), (
                our_tokens,
                their_tokens,
            )
        return
    # dlt stops at its first failure, restsync names every failed resource (a row of
    # docs/dlt-differences.md): the one dlt names must be among restsync's
    assert isinstance(case.config, ConfigOf)
    theirs = failed_resources(dlt_side, case.config.names())
    ours = failed_resources(restsync_side, case.config.names())
    assert theirs and theirs <= ours, explain(dlt_side, restsync_side)


def run_both(parity: ParityRun, case: Case, workdir: Any) -> tuple[Outcome, Outcome]:
    label = f"g{next(_runs)}_"
    run = ParityRun(parity.api, [case], workdir, label=label)
    try:
        return run.outcomes(case)
    finally:
        for side in SIDES:
            parity.api.forget(side, set(run.cases))


@settings(
    max_examples=EXAMPLES,
    # make test: the same examples every run, a failure reported as drawn (shrinking runs up to
    # five minutes of pipelines); make fuzz-parity: new ones, shrunk
    derandomize=not FUZZING,
    phases=list(Phase) if FUZZING else [Phase.explicit, Phase.generate],
    database=None,
    deadline=None,  # two dlt pipelines per example: seconds, more on a busy machine
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
@given(case=generated_cases())
def test_generated_config(case: Case, parity: ParityRun, tmp_path_factory: Any) -> None:
    if os.environ.get("PARITY_VERBOSE"):
        # printed before the run: a config that never ends is named too
        print("CASE", case.config, case.select, case.rounds, case.requests, flush=True)
    dlt_side, restsync_side = run_both(parity, case, tmp_path_factory.mktemp("generated"))
    if os.environ.get("PARITY_VERBOSE"):
        print("  dlt:", dlt_side.summary()[:200])
        print("  rs :", restsync_side.summary()[:200])
    assert_same(case, dlt_side, restsync_side)
