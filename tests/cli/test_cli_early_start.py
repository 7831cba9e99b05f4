"""``restsync run`` starts the requests before dlt's extract step begins (while dlt makes its
pipeline and syncs its destination), once the DuckDB file is open; for a config file (YAML,
JSON, a connector) before dlt is even imported.

The mechanism, without timings: a hook in the run's process asks the test server whether it has
seen a request, and the server waits (bounded) for one before answering. Started early, the
request comes while the hook waits; started later (after the hook), it would not. The hook is a
tracking module plugged into dlt by a Python config file (dlt's own hook for step starts, called
at the start of dlt's extract step), or an import hook in a ``sitecustomize`` on ``PYTHONPATH``
that asks when dlt is first imported.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import duckdb
from aiohttp import web

from tests.conftest import RoutedServer, run_restsync

SCRIPT = """
import types, urllib.request
from dlt.pipeline import trace
import restsync

def extract_begins(trace_, step, pipeline):
    if step == "extract":
        with urllib.request.urlopen("{base}/seen", timeout=60) as answer:
            open({mark!r}, "w").write(answer.read().decode())

trace.TRACKING_MODULES.append(types.SimpleNamespace(
    on_start_trace=lambda *a: None, on_start_trace_step=extract_begins,
    on_end_trace_step=lambda *a: None, on_end_trace=lambda *a: None,
))
source = restsync.rest_api_source(
    {{"client": {{"base_url": "{base}"}}, "resources": [{{"name": "items", "endpoint": "items"}}]}},
    name="early",
)
"""


# asks the server at the first ``import dlt`` of the process, and lets the import go on
SITECUSTOMIZE = """
import sys, urllib.request

class AtDltImport:
    def find_spec(self, name, path=None, target=None):
        if name == "dlt":
            sys.meta_path.remove(self)
            with urllib.request.urlopen("{base}/seen", timeout=60) as answer:
                open({mark!r}, "w").write(answer.read().decode())
        return None

sys.meta_path.insert(0, AtDltImport())
"""


def _serve(server: RoutedServer) -> None:
    requested = asyncio.Event()

    @server.get("/items")
    async def items(request: web.Request) -> web.Response:
        requested.set()
        return web.json_response([{"id": 1}, {"id": 2}])

    @server.get("/seen")
    async def seen(request: web.Request) -> web.Response:
        try:  # bounded: a run that starts the requests late answers "no" here, and goes on
            await asyncio.wait_for(requested.wait(), 20)
        except TimeoutError:
            return web.Response(text="no")
        return web.Response(text="yes")

    server.start()


def _run(
    tmp_path: Path, script: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_restsync(
        "run", script, "--pipelines-dir", tmp_path / "pipelines", *extra,
        cwd=tmp_path, env={"RUNTIME__DLTHUB_TELEMETRY": "false", **(env or {})},
    )  # fmt: skip


def test_requests_go_out_before_dlts_extract_step_begins(
    server: RoutedServer, tmp_path: Path
) -> None:
    _serve(server)
    mark = tmp_path / "seen_at_extract"
    script = tmp_path / "early.py"
    script.write_text(SCRIPT.format(base=server.base_url, mark=str(mark)))
    done = _run(tmp_path, script, "--duckdb-path", str(tmp_path / "out.duckdb"))
    assert done.returncode == 0, done.stderr
    assert mark.read_text() == "yes"
    with duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True) as db:
        assert db.sql("select id from early.items order by id").fetchall() == [(1,), (2,)]


def test_requests_from_a_config_file_go_out_before_dlt_is_imported(
    server: RoutedServer, tmp_path: Path
) -> None:
    _serve(server)
    mark, hooks = tmp_path / "seen_at_dlt_import", tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(
        SITECUSTOMIZE.format(base=server.base_url, mark=str(mark))
    )
    config = tmp_path / "early.json"
    config.write_text(
        json.dumps(
            {
                "client": {"base_url": server.base_url},
                "resources": [{"name": "items", "endpoint": "items"}],
            }
        )
    )
    path = os.pathsep.join(filter(None, [str(hooks), os.environ.get("PYTHONPATH")]))
    done = _run(
        tmp_path, config, "--duckdb-path", str(tmp_path / "out.duckdb"), env={"PYTHONPATH": path}
    )
    assert done.returncode == 0, done.stderr
    assert mark.read_text() == "yes"
    with duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True) as db:
        assert db.sql("select id from early.items order by id").fetchall() == [(1,), (2,)]
