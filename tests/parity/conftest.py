"""One fake API and one parity run for the session: every collected parity case is loaded in one
pipeline run per side, on first use (see harness.ParityRun)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.parity.fake_api import FakeApi
from tests.parity.harness import RESULTS, ParityRun


@pytest.fixture(scope="session")
def parity(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[ParityRun]:
    modules = {}
    for item in request.session.items:
        module = getattr(item, "module", None)
        if module is not None and hasattr(module, "CASES") and item.path.parent.name == "parity":
            modules[str(item.path)] = module
    cases = [case for name in sorted(modules) for case in modules[name].CASES]
    api = FakeApi()
    api.start()
    yield ParityRun(api, cases, tmp_path_factory.mktemp("parity"))
    api.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # the parity run loads every case at once, per process: under pytest-xdist (make test) the
    # parity tests share one worker (--dist loadgroup) so that the run happens once; the
    # generated cases (no CASES: each example runs on its own) may go to another worker
    for item in items:
        module = getattr(item, "module", None)
        if item.path.parent.name == "parity" and hasattr(module, "CASES"):
            item.add_marker(pytest.mark.xdist_group("parity"))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    counts = {
        kind: sum(1 for v in RESULTS.values() if v == kind)
        for kind in ("identical", "documented", "different")
    }
    total = len(RESULTS)
    terminalreporter.write_line(
        f"parity with dlt's rest_api: {counts['identical']} of {total} cases identical "
        f"({100 * counts['identical'] / total:.1f} %), {counts['documented']} documented "
        f"differences, {counts['different']} undocumented differences"
    )
