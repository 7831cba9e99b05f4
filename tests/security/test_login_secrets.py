"""A session login's secrets (an Airbyte SessionTokenAuthenticator's password, sent in the
login's body or query) and the session token the server hands out are masked in everything
`restsync run` prints and in its --report, even when the server echoes them back in an error the
manifest shows."""

from __future__ import annotations

import io
import json
import logging
import subprocess
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from restsync.cli._scrub import scrubbed_logs
from tests.conftest import RoutedServer, run_restsync

SESSION = Path(__file__).parents[1] / "airbyte" / "manifests" / "session.yaml"
PASSWORD = "hunter2-login-pass"
SESSION_TOKEN = "session-token-from-the-server"  # handed out at run time


def _manifest(path: Path) -> Path:
    """session.yaml with an error handler on ``projects`` that shows the server's message, as
    many real manifests do."""
    document = yaml.safe_load(SESSION.read_text())
    requester = document["streams"][0]["retriever"]["requester"]
    requester["error_handler"] = {
        "type": "DefaultErrorHandler",
        "response_filters": [
            {
                "type": "HttpResponseFilter",
                "action": "FAIL",
                "predicate": "{{ 'may not' in response.get('message', '') }}",
                "error_message": "{{ response['message'] }}",
            }
        ],
    }
    path.write_text(yaml.safe_dump(document))
    return path


def _serve_echoing_api(server: RoutedServer) -> None:
    """The JSON login works, but listing projects is refused (a 200 with an error message, as
    some APIs answer) with the password and the session token echoed back;
    the query-string login of ``members`` is refused outright, echoing it too."""

    async def session(request: web.Request) -> web.Response:
        return web.json_response({"data": {"session": {"id": SESSION_TOKEN}}})

    async def projects(request: web.Request) -> web.Response:
        token = request.headers.get("X-Session")
        message = f"user u (password {PASSWORD}, session {token}) may not list projects"
        return web.json_response({"message": message, "items": []})

    async def login(request: web.Request) -> web.Response:
        key = request.query.get("key", "")
        return web.json_response({"message": f"wrong key {key}"}, status=401)

    server.route("POST", "/api/session", session)
    server.route("GET", "/api/projects", projects)
    server.route("GET", "/api/login", login)


def test_a_run_never_shows_the_login_password_or_the_session_token(
    server: RoutedServer, tmp_path: Path
) -> None:
    _serve_echoing_api(server)
    server.start()
    config = tmp_path / "config.json"
    settings = {"base_url": server.base_url, "username": "u", "password": PASSWORD}
    config.write_text(json.dumps(settings))
    report = tmp_path / "report.json"
    done = _run(_manifest(tmp_path / "session.yaml"), config, report, tmp_path)
    # the server did echo the password, and the failure was told
    assert any(r.path == "/api/login" and r.query.get("key") == PASSWORD for r in server.requests)
    assert done.returncode == 1, done.stderr  # resources failed
    output = done.stdout + done.stderr
    assert "may not list projects" in output and "projects" in output and "members" in output
    assert PASSWORD not in output and SESSION_TOKEN not in output
    written = report.read_text()
    assert "may not list projects" in written
    assert PASSWORD not in written and SESSION_TOKEN not in written


def _run(manifest: Path, config: Path, report: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    arguments: list[Any] = ["run", manifest, "--config", config, "--report", report]
    arguments += ["--duckdb-path", cwd / "out.duckdb", "--progress-every", "0"]
    return run_restsync(*arguments, cwd=cwd)


def test_log_lines_of_a_run_are_masked_too() -> None:
    """The engine logs each failure as it happens; those lines pass through the same mask."""
    printed = io.StringIO()
    handler = logging.StreamHandler(printed)
    root = logging.getLogger()
    root.addHandler(handler)
    known: list[str] = []
    try:
        with scrubbed_logs(lambda: known):
            known.append(PASSWORD)  # learnt once the source is built
            logging.getLogger("restsync").error("server said %s", PASSWORD)
            try:
                raise ValueError(f"echoed {PASSWORD}")
            except ValueError:
                logging.getLogger("restsync").exception("failed")
        logging.getLogger("restsync").error("after the run: %s", "plain")
    finally:
        root.removeHandler(handler)
    text = printed.getvalue()
    assert "server said ***" in text and "echoed ***" in text and "after the run: plain" in text
    assert PASSWORD not in text
