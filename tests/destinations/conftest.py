from __future__ import annotations

import pytest

from tests.destinations.helpers import SECRET


@pytest.fixture(autouse=True)
def connector_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("API_KEY", "API_TOKEN"):
        monkeypatch.setenv(name, SECRET)
