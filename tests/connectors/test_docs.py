"""The checked-in connector pages are exactly what the generator writes from the specs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from restsync import connectors

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs" / "connectors"
SCRIPT = ROOT / "scripts" / "gen_connector_docs.py"


def test_generated_docs_are_up_to_date(tmp_path) -> None:
    out = tmp_path / "connectors"
    # a clean environment: the pages must not depend on which secrets happen to be set
    env = {"PATH": "", "API_KEY": "set", "START_DATE": "2030-01-01T00:00:00Z"}
    subprocess.run([sys.executable, str(SCRIPT), str(out)], check=True, env=env, cwd=tmp_path)
    generated = sorted(p.name for p in out.iterdir())
    assert generated == sorted(p.name for p in DOCS.iterdir())
    for name in generated:
        assert (DOCS / name).read_text() == (out / name).read_text(), (
            f"docs/connectors/{name} is stale: run python scripts/gen_connector_docs.py"
        )


def test_each_page_tells_how_to_authenticate_and_where_rejects_go() -> None:
    for name in connectors.names():
        page = (DOCS / f"{name}.md").read_text()
        spec = connectors.load_spec(name)
        for secret in spec.secrets:
            assert f'export {secret.upper()}="..."' in page
            assert f'{secret} = "..."' in page
        assert "`_restsync_rejects`" in page and "schema evolution" in page
        for resource in spec.config["resources"]:
            assert f"- **table**: `{resource['name']}`" in page
