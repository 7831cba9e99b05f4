"""The comparison harness (scripts/airbyte_corpus_diff.py) keeps both clients on 127.0.0.1.

A requester whose ``path`` is a whole address under a ``url_base`` (pennylane's plan_items:
``path: https://app.pennylane.com/api/external/v1/plan_items``) is served by the simulator at
that address's path, and the CDK's copy of the manifest points it at the simulator, as
restsync's ``base_url`` moves it. Before, the simulator had no route there (404) and the CDK's
copy stayed on the real host. Whatever the manifest still names, neither client may open a
connection or look up a name off the loopback: the attempt fails the stream, named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.airbyte import manifests as build
from tests.airbyte._script import load_script

SPEC = build.spec(api_key={"type": "string", "airbyte_secret": True})


def _manifest(plan_items_path: str) -> dict[str, Any]:
    def bearer() -> dict[str, str]:
        return {"type": "BearerAuthenticator", "api_token": "{{ config['api_key'] }}"}

    base = "https://app.example.invalid/api/external/v2/"
    customers = build.stream(
        "customers",
        build.requester(base, "customers", authenticator=bearer()),
        ["customers"],
        primary_key=["id"],
    )
    items = build.stream(
        "plan_items",
        build.requester(base, plan_items_path, authenticator=bearer()),
        ["plan_items"],
        primary_key=["id"],
    )
    check = {"type": "CheckStream", "stream_names": ["customers"]}
    return build.manifest(customers, items, spec=SPEC, check=check)


def test_a_whole_address_as_the_path_is_compared_on_the_simulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ledger"
    folder.mkdir()
    address = "https://app.example.invalid/api/external/v1/plan_items"
    (folder / "manifest.yaml").write_text(yaml.safe_dump(_manifest(address)))

    assert load_script("airbyte_corpus_diff").main(str(tmp_path), "--timeout", "300") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ledger", "identical"], lines
    items = next(line.split(maxsplit=1)[1] for line in lines if line.split()[0] == "plan_items")
    assert items.startswith("identical (")
    assert lines[-1] == "streams (2): identical 2"


def test_neither_client_reaches_past_the_loopback(tmp_path: Path) -> None:
    # a manifest the harness does not point at the simulator (its requester given whole, as
    # the CDK would read it): each client's attempt to reach the host is refused and named
    script = load_script("airbyte_corpus_diff")
    manifest = tmp_path / "manifest.yaml"
    (manifest).write_text(yaml.safe_dump(_manifest("plan_items")))
    config = {"api_key": "k-1"}

    expected, errors = script.reference_records(manifest, config, ["plan_items"], 120)
    assert expected == {}
    assert any(
        e.startswith("plan_items: ") and "app.example.invalid: not on the loopback" in e
        for e in errors
    ), errors

    ours = script.restsync_records(manifest, config, ["plan_items"], None, 120)
    assert "app.example.invalid: not on the loopback" in str(ours["plan_items"]), ours
