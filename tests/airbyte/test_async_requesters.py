"""Each AsyncRetriever requester sends its own authenticator, as airbyte-cdk 7.39.1's do (the
polling, download, download-target, abort and delete requesters are HttpRequesters of their
own, and one that declares none sends none), and only to its own origin; and the download
targets a download_target_requester lists, read as airbyte-cdk reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from restsync.airbyte import plan_manifest
from scripts.airbyte_diff import canonical, reference_records
from tests.airbyte import manifests as build
from tests.airbyte.async_api import ReportApi, report_manifest, run_engine, serving

CONFIG = {
    "api_key": "sk-report-secret-4242",
    "poll_key": "pk-status-secret-7373",
    "file_key": "fk-files-secret-5151",
}
BEARER = ("Authorization", f"Bearer {CONFIG['api_key']}")


def _key(header: str, config_key: str) -> dict[str, Any]:
    return {
        "type": "ApiKeyAuthenticator",
        "api_token": f"{{{{ config['{config_key}'] }}}}",
        "inject_into": {"type": "RequestOption", "inject_into": "header", "field_name": header},
    }


def _cdk(manifest_of: Any, api: ReportApi, tmp_path: Path) -> list[Any]:
    """airbyte-cdk's records of the manifest ``manifest_of(api_url)``, API and files on one
    local server."""
    with serving(api, files_apart=False) as url:
        path = tmp_path / "cdk.yaml"
        path.write_text(yaml.safe_dump(manifest_of(url)))
        theirs, errors = reference_records(path, CONFIG, timeout=300)
    assert errors == []
    return list(theirs["clicks"])


def _own_keys(url: str) -> dict[str, Any]:
    """Polls with their own key, downloads with another, deletes with none."""
    manifest = report_manifest(url)
    retriever = manifest["streams"][0]["retriever"]
    retriever["polling_requester"]["authenticator"] = _key("X-Poll-Key", "poll_key")
    retriever["download_requester"]["authenticator"] = _key("X-File-Key", "file_key")
    del retriever["delete_requester"]["authenticator"]
    return manifest


def test_each_requester_sends_its_own_authenticator(tmp_path: Path) -> None:
    api = ReportApi()
    with serving(api, files_apart=False) as url:
        report, _, ours = run_engine(plan_manifest(_own_keys(url), CONFIG))
    assert report.resources["clicks"].error is None
    assert set(api.heard) == {
        ("create", (BEARER,)),
        ("poll", (("X-Poll-Key", CONFIG["poll_key"]),)),
        ("download", (("X-File-Key", CONFIG["file_key"]),)),
        ("delete", ()),
    }
    cdk_api = ReportApi()
    theirs = _cdk(_own_keys, cdk_api, tmp_path)
    assert set(cdk_api.heard) == set(api.heard)
    assert sorted(r for r, _ in cdk_api.heard) == sorted(r for r, _ in api.heard)
    assert canonical(ours) == canonical(theirs)


def test_a_download_on_another_origin_gets_no_credential() -> None:
    """A presigned storage URL: the download requester's own key stays with the API's origin
    (airbyte-cdk would send it there too; restsync's origin rule does not)."""
    api = ReportApi()
    with serving(api) as url:
        report, _, ours = run_engine(plan_manifest(_own_keys(url), CONFIG))
    assert report.resources["clicks"].error is None
    assert len(ours) == 11
    assert {said for route, said in api.heard if route == "download"} == {()}
    assert ("poll", (("X-Poll-Key", CONFIG["poll_key"]),)) in api.heard


def test_a_requesters_own_key_never_shows_in_an_error() -> None:
    """The polling requester's key is among the secrets the engine masks, as the stream's own
    is: an API that echoes it as the job's status gets a sentence without it."""
    api = ReportApi(echo_key=True)
    with serving(api, files_apart=False) as url:
        report, _, _ = run_engine(plan_manifest(_own_keys(url), CONFIG))
    error = report.resources["clicks"].error
    assert error is not None
    assert "which status_mapping does not list" in error.message
    assert CONFIG["poll_key"] not in str(error)
    assert "has status '***'" in error.message


def test_a_requesters_http_error_is_the_streams_naming_the_requester() -> None:
    api = ReportApi(deny_polls=True)
    with serving(api, files_apart=False) as url:
        report, _, _ = run_engine(plan_manifest(_own_keys(url), CONFIG))
    error = report.resources["clicks"].error
    assert error is not None
    assert error.resource == "clicks"
    assert error.message == (
        "the API answered HTTP 401; check the credential (token or API key) (its polling_requester)"
    )
    assert "/exports/job-" in str(error.url)


def _via_target(url: str) -> dict[str, Any]:
    """The ready status names no file: a download_target_requester lists them."""
    manifest = report_manifest(url)
    retriever = manifest["streams"][0]["retriever"]
    retriever["download_target_requester"] = build.requester(
        url,
        "/exports/{{ polling_response['id'] }}/files",
        authenticator=_key("X-Poll-Key", "poll_key"),
    )
    retriever["download_target_extractor"] = {"type": "DpathExtractor", "field_path": ["files"]}
    return manifest


def test_download_targets_listed_by_a_download_target_requester(tmp_path: Path) -> None:
    api = ReportApi(via_target=True)
    with serving(api, files_apart=False) as url:
        report, _, ours = run_engine(plan_manifest(_via_target(url), CONFIG))
    assert report.resources["clicks"].error is None
    assert len(ours) == 11
    targets = [said for route, said in api.heard if route == "target"]
    assert targets == [(("X-Poll-Key", CONFIG["poll_key"]),)] * 3  # one per completed job
    cdk_api = ReportApi(via_target=True)
    theirs = _cdk(_via_target, cdk_api, tmp_path)
    assert sorted(cdk_api.heard) == sorted(api.heard)
    assert canonical(ours) == canonical(theirs)
