"""Every value that came from a secret source is masked everywhere, by the library and the
command line alike: a credential written in ``client.headers``, a secret-named query parameter,
a value looked up with ``!secret`` wherever it is used, a session login's value that came through
an Airbyte manifest's ``$parameters``.

The server here is hostile in the simplest way: it echoes what it received into the next link it
hands out, and the page behind that link fails, so the failure's URL carries the echo."""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import restsync
from restsync._api import runtime_of
from restsync.airbyte._jinja import Interpolator
from restsync.airbyte._session import session_login
from tests.conftest import RoutedServer, run_restsync
from tests.security.test_hostile_servers import _every_stored_text

HEADER_SECRET = "custom-header-credential-5150"  # client.headers, a header naming no secret
PARAM_SECRET = "endpoint-param-credential-8086"  # params: {access_key: ...}, not an auth
TENANT_SECRET = "tenant-code-from-dlt-secrets"  # params: {tenant: !secret tenant_code}
REF_HEADER_SECRET = "client-ref-from-dlt-secrets"  # headers: {X-Client-Ref: !secret client_ref}


def _serve_echo_then_fail(server: RoutedServer, *echoed: str) -> None:
    """Page 1 links to page 2 with ``echoed`` request values in its query; page 2 fails."""

    async def items(request: web.Request) -> web.Response:
        if request.query.get("page") == "2":
            return web.Response(status=500)
        values = [request.headers.get(name) or request.query.get(name, "") for name in echoed]
        echo = "&".join(f"echo{i}={v}" for i, v in enumerate(values))
        return web.json_response({"data": [{"id": 1}], "next": f"/items?page=2&{echo}"})

    server.route("GET", "/items", items)


def _items(**endpoint: Any) -> dict[str, Any]:
    return {
        "name": "items",
        "primary_key": "id",
        "endpoint": {
            "path": "/items",
            "data_selector": "data",
            "paginator": {"type": "json_link", "next_url_path": "next"},
            **endpoint,
        },
    }


def _config(base_url: str) -> dict[str, Any]:
    return {
        "client": {
            "base_url": base_url,
            "headers": {"X-Custom": HEADER_SECRET, "Accept-Language": "en"},
            "error_handler": {"max_retries": 1, "backoff_factor": 0},
        },
        "resources": [_items(params={"access_key": PARAM_SECRET})],
    }


def test_restsync_sync_masks_configured_credentials_everywhere(
    server: RoutedServer, make_pipeline, duckdb_path, tmp_path, capfd, caplog
) -> None:
    _serve_echo_then_fail(server, "X-Custom", "access_key")
    server.start()
    source = restsync.rest_api_source(_config(server.base_url))

    with pytest.raises(restsync.SyncFailed) as caught:
        restsync.sync(make_pipeline(), source)

    page_two = [r for r in server.requests if r.query.get("page") == "2"]
    assert page_two and page_two[0].query["echo0"] == HEADER_SECRET  # the echo did happen
    assert page_two[0].query["echo1"] == PARAM_SECRET
    (failure,) = caught.value.failures
    assert failure.resource == "items" and "HTTP 500 after 2 attempts" in failure.message
    assert "echo0=***&echo1=***" in str(failure)
    report = runtime_of(source).last_report
    assert report is not None
    captured = capfd.readouterr()
    outputs = {
        "exception": "".join(traceback.format_exception(caught.value)),
        "report": " ".join(str(f) for f in report.failures()),
        "logs": caplog.text,
        "stdout": captured.out,
        "stderr": captured.err,
        "files": _every_stored_text(tmp_path, duckdb_path),
    }
    assert "items" in outputs["logs"]  # the failure was logged
    leaks = {w: s for w, t in outputs.items() for s in (HEADER_SECRET, PARAM_SECRET) if s in t}
    assert leaks == {}


def test_a_plain_pipeline_run_raises_without_the_credentials(
    server: RoutedServer, make_pipeline
) -> None:
    _serve_echo_then_fail(server, "X-Custom", "access_key")
    server.start()

    with pytest.raises(Exception) as caught:  # dlt's PipelineStepFailed
        make_pipeline().run(restsync.rest_api_source(_config(server.base_url)))

    text = "".join(traceback.format_exception(caught.value))
    assert "HTTP 500" in text
    assert HEADER_SECRET not in text and PARAM_SECRET not in text


def test_a_value_looked_up_as_a_secret_is_masked_wherever_it_is_used(
    server: RoutedServer, tmp_path: Path
) -> None:
    """``!secret`` in a query parameter and a header whose names say nothing: ``restsync run``
    shows neither, in its output, its report, the DuckDB file or the pipeline's files."""
    _serve_echo_then_fail(server, "X-Client-Ref", "tenant")
    server.start()
    config = tmp_path / "echo.yaml"
    config.write_text(
        f"""
client:
  base_url: {server.base_url}
  headers:
    X-Client-Ref: !secret client_ref
  error_handler: {{max_retries: 0}}
resources:
  - name: items
    primary_key: id
    endpoint:
      path: /items
      params:
        tenant: !secret tenant_code
      data_selector: data
      paginator: {{type: json_link, next_url_path: next}}
"""
    )
    report = tmp_path / "report.json"
    arguments: list[Any] = ["run", config, "--report", report, "--progress-every", "0"]
    arguments += ["--duckdb-path", tmp_path / "out.duckdb", "--pipelines-dir", tmp_path / "p"]
    # names that the environment rule (secret-looking variable names) does not catch
    env = {"CLIENT_REF": REF_HEADER_SECRET, "TENANT_CODE": TENANT_SECRET}
    done = run_restsync(*arguments, cwd=tmp_path, env=env)

    page_one = [r for r in server.requests if r.query.get("page") is None]
    assert page_one[0].query["tenant"] == TENANT_SECRET  # looked up and sent
    assert page_one[0].headers["X-Client-Ref"] == REF_HEADER_SECRET
    assert done.returncode == 1, done.stderr
    assert "HTTP 500" in done.stderr
    assert json.loads(report.read_text())["exit_code"] == 1
    everything = done.stdout + done.stderr + _every_stored_text(tmp_path, tmp_path / "out.duckdb")
    assert "echo0=***" in everything
    assert TENANT_SECRET not in everything and REF_HEADER_SECRET not in everything


def test_restsync_plan_never_shows_an_inline_credential(tmp_path: Path) -> None:
    config = tmp_path / "inline.yaml"
    config.write_text(
        """
client:
  base_url: https://reader:inline-url-password@api.example.com/v1
  headers: {X-Api-Key: inline-header-credential}
resources:
  - name: items
    endpoint:
      path: /items
      params: {api_key: inline-param-credential, limit: 50}
"""
    )
    done = run_restsync("plan", config)
    assert done.returncode == 0, done.stderr
    assert "items" in done.stdout and "'limit': 50" in done.stdout
    for secret in ("inline-url-password", "inline-header-credential", "inline-param-credential"):
        assert secret not in done.stdout + done.stderr


def _login(body: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "SessionTokenAuthenticator",
        "login_requester": {
            "type": "HttpRequester",
            "url_base": "https://api.example.com",
            "path": "/login",
            "http_method": "POST",
            "request_body_json": body,
            "$parameters": parameters,
        },
        "session_token_path": ["token"],
        "request_authentication": {"type": "Bearer"},
    }


def test_a_session_login_value_through_parameters_is_a_secret() -> None:
    """A login value read from ``$parameters`` is a secret when the parameter is named for a
    credential or holds the connector config; a harmless parameter (the stream's name) is not."""
    config = {"user": "someone", "password": "config-password-1234"}
    spec = _login(
        {
            "user": "{{ config['user'] }}",
            "pw": "{{ parameters.login_secret }}",  # a key that names no credential
            "app": "{{ parameters['app_name'] }}",
        },
        {"login_secret": "parameter-credential-42", "app_name": "projects"},
    )

    secrets = session_login(spec, Interpolator(config, {"name": "projects"}), "s").secret_values()

    assert "parameter-credential-42" in secrets
    assert "someone" in secrets  # from the config, as before
    assert "projects" not in secrets


def test_a_parameter_holding_a_config_template_makes_its_value_a_secret() -> None:
    config = {"password": "config-password-1234"}
    spec = _login({"p": "{{ parameters.pw }}"}, {"pw": "{{ config['password'] }}"})

    login = session_login(spec, Interpolator(config), "s")

    rendered = login.login_json["p"]
    assert rendered in login.secret_values()
