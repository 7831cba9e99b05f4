"""AsyncRetriever streams: report jobs created per slice, polled, downloaded from another
origin, filtered and transformed; the records identical to airbyte-cdk 7.39.1's against the same
two local servers. A job that fails, or never completes, ends the stream with one sentence after
a bounded number of tries and waits (the engine's sleep is injected: nothing really waits)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

import restsync
from restsync.airbyte import plan_manifest
from restsync.airbyte._simulate import simulator_plan
from restsync.airbyte._simulate_async import serve_jobs
from restsync.simulator import SimulatorOptions, serve_in_thread
from scripts.airbyte_diff import canonical, reference_records
from tests.airbyte.async_api import ReportApi, report_manifest, run_engine
from tests.conftest import RoutedServer

ROOT = Path(__file__).resolve().parents[2]
CONFIG = {"api_key": "sk-report-secret-4242"}


@pytest.fixture
def files() -> Any:
    routed = RoutedServer()
    yield routed
    routed.stop()


def _start(server: RoutedServer, files: RoutedServer, api: ReportApi) -> None:
    api.serve(server, files)
    server.start()
    files.start()
    api.files_url = files.base_url


def test_report_jobs_load_what_airbyte_cdk_reads(
    server: RoutedServer, files: RoutedServer, make_pipeline: Any, duckdb_path: Path, tmp_path: Path
) -> None:

    api = ReportApi()
    _start(server, files, api)
    manifest = report_manifest(server.base_url)
    path = tmp_path / "reports.yaml"
    path.write_text(yaml.safe_dump(manifest))

    restsync.sync(make_pipeline(), restsync.airbyte_source(path, CONFIG))
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        cursor = connection.sql("select id, segment, clicks, job from data.clicks")
        names = [c[0] for c in cursor.description]
        ours = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    # three jobs (one per segment), each polled twice (pending, then ready), two files each,
    # two records a file; the filter drops c3
    assert len(ours) == 11
    assert sorted(j["segment"] for j in api.created) == ["a", "b", "c"]
    assert sorted(api.polls.values()) == [2, 2, 2]
    assert sorted(api.deleted) == sorted(j["id"] for j in api.created)
    # the key went to the API's own requests, never to the files' host
    assert set(api.poll_auth) == {f"Bearer {CONFIG['api_key']}"}
    assert api.download_auth == [None] * 6

    cdk_api = ReportApi()
    cdk_server, cdk_files = RoutedServer(), RoutedServer()
    try:
        _start(cdk_server, cdk_files, cdk_api)
        cdk_path = tmp_path / "reports_cdk.yaml"
        cdk_path.write_text(yaml.safe_dump(report_manifest(cdk_server.base_url)))
        theirs, errors = reference_records(cdk_path, CONFIG, timeout=300)
    finally:
        cdk_server.stop()
        cdk_files.stop()
    assert errors == []
    assert canonical(ours) == canonical(theirs["clicks"])
    assert cdk_api.download_auth == [None] * 6  # airbyte-cdk sends none there either


def test_a_job_that_never_completes_times_out_and_is_aborted(
    server: RoutedServer, files: RoutedServer
) -> None:
    api = ReportApi(never=True)
    _start(server, files, api)
    plan = plan_manifest(report_manifest(server.base_url, timeout=1), CONFIG)
    report, slept, _ = run_engine(plan)
    error = report.resources["clicks"].error
    assert error is not None
    assert "ended 'timeout' on each of 3 attempts" in error.message
    assert "/exports/job-" in error.message
    # 3 segments x 3 attempts, each aborted; each job's waits add up to the 1 minute timeout
    # (1, 2, 4, then 5 s each), so every job was polled a bounded number of times
    assert len(api.created) == 9
    assert sorted(api.aborted) == sorted(j["id"] for j in api.created)
    assert set(api.polls.values()) == {15}  # 14 waits (1, 2, 4, ten of 5, a last 3 s) and 15 polls
    assert sum(slept) == pytest.approx(9 * 60)
    assert max(slept) == 5.0


def test_a_failed_job_is_tried_three_times_then_named(
    server: RoutedServer, files: RoutedServer
) -> None:
    api = ReportApi(fail=True)
    _start(server, files, api)
    plan = plan_manifest(report_manifest(server.base_url), CONFIG)
    report, slept, _ = run_engine(plan)
    error = report.resources["clicks"].error
    assert error is not None
    assert error.resource == "clicks"
    assert "ended 'failed' on each of 3 attempts" in error.message
    assert CONFIG["api_key"] not in str(error)
    assert slept == []  # a failed job is created again at once, as airbyte-cdk does
    assert len(api.created) >= 3
    assert api.download_auth == []


def test_an_unknown_status_names_the_mapping(server: RoutedServer, files: RoutedServer) -> None:
    api = ReportApi()
    _start(server, files, api)
    manifest = report_manifest(server.base_url)
    manifest["streams"][0]["retriever"]["status_mapping"]["running"] = ["queued"]
    report, _, _ = run_engine(plan_manifest(manifest, CONFIG))
    error = report.resources["clicks"].error
    assert error is not None
    assert "has status 'pending', which status_mapping does not list" in error.message


def test_the_simulator_serves_the_job_contract_to_both_clients(tmp_path: Path) -> None:
    """Offline: the simulator's table for the stream behind the job front; restsync and
    airbyte-cdk create, poll and download the same jobs and read the same records."""

    plan = plan_manifest(report_manifest("http://127.0.0.1:9"), CONFIG)
    with (
        serve_in_thread(simulator_plan(plan), SimulatorOptions(seed=3)) as sim,
        serve_jobs(plan, sim.base_url) as url,
    ):
        manifest = report_manifest(url)
        source = restsync.airbyte_source(manifest, CONFIG)
        ours = [dict(r) for r in source.resources["clicks"]]
        path = tmp_path / "reports.yaml"
        path.write_text(yaml.safe_dump(manifest))
        theirs, errors = reference_records(path, CONFIG, timeout=300)
    assert errors == []
    assert len(ours) > 3  # every segment's job downloads the table's records
    assert {r["job"] for r in ours} == {"a-report", "b-report", "c-report"}
    assert canonical(ours) == canonical(theirs["clicks"])


def test_base_url_moves_every_job_request(
    server: RoutedServer, files: RoutedServer, make_pipeline: Any, duckdb_path: Path
) -> None:
    """--base-url: the polls, aborts and deletes go there too, not only the creation request
    (they would otherwise reach the manifest's real host, with the key)."""
    api = ReportApi()
    _start(server, files, api)
    manifest = report_manifest("https://reports.example.invalid")
    source = restsync.airbyte_source(manifest, CONFIG, base_url=server.base_url)
    restsync.sync(make_pipeline(), source)
    assert sorted(api.polls.values()) == [2, 2, 2]
    assert len(api.deleted) == 3
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        assert connection.sql("select count(*) from data.clicks").fetchone() == (11,)


def test_a_download_the_decoder_cannot_read_is_one_sentence(
    server: RoutedServer, files: RoutedServer
) -> None:
    api = ReportApi(gzip_csv=True)  # gzip'd CSV, where the manifest says gzip'd JSON
    _start(server, files, api)
    decoder = {"type": "GzipDecoder", "decoder": {"type": "JsonDecoder"}}
    plan = plan_manifest(report_manifest(server.base_url, decoder=decoder), CONFIG)
    report, _, _ = run_engine(plan)
    error = report.resources["clicks"].error
    assert error is not None
    assert "could not be read as the download_decoder (GzipDecoder) says" in error.message
    assert "/files/job-" in str(error.url)


def test_gzipped_csv_reports_as_airbyte_cdk_reads_them(
    server: RoutedServer, files: RoutedServer, make_pipeline: Any, duckdb_path: Path, tmp_path: Path
) -> None:
    """sendgrid's and bing-ads' shape: the report a gzip'd CSV file (values as text)."""
    decoder = {"type": "GzipDecoder", "decoder": {"type": "CsvDecoder"}}
    api = ReportApi(gzip_csv=True)
    _start(server, files, api)
    manifest = report_manifest(server.base_url, decoder=decoder)
    source = restsync.airbyte_source(manifest, CONFIG)
    ours = [dict(r) for r in source.resources["clicks"]]
    assert len(ours) == 11
    path = tmp_path / "reports.yaml"
    path.write_text(yaml.safe_dump(manifest))
    theirs, errors = reference_records(path, CONFIG, timeout=300)
    assert errors == []
    assert canonical(ours) == canonical(theirs["clicks"])


def test_a_refused_creation_is_a_failed_attempt_tried_again(
    server: RoutedServer, files: RoutedServer
) -> None:
    """airbyte-cdk's job orchestrator keeps a job whose creation failed as a failed job and
    creates it again, up to its 3 attempts: two refused creations still load every segment."""
    api = ReportApi(refuse_creates=2)
    _start(server, files, api)
    report, slept, got = run_engine(plan_manifest(report_manifest(server.base_url), CONFIG))
    assert report.resources["clicks"].error is None
    assert api.refused == 2
    assert sorted(j["segment"] for j in api.created) == ["a", "b", "c"]
    assert len(got) == 11
    assert slept.count(1.0) == 3  # one wait between each job's two polls, none for a refusal


def test_a_job_never_created_fails_the_stream_after_three_attempts(
    server: RoutedServer, files: RoutedServer
) -> None:
    api = ReportApi(refuse_creates=1_000)
    _start(server, files, api)
    report, _, got = run_engine(plan_manifest(report_manifest(server.base_url), CONFIG))
    error = report.resources["clicks"].error
    assert error is not None
    assert error.resource == "clicks"
    assert "could not be created on any of 3 attempts" in error.message
    assert "400" in error.message
    assert CONFIG["api_key"] not in str(error)
    assert got == []
    assert api.polls == {}
    assert api.refused in (3, 6, 9)  # 3 attempts for each segment tried before the stream ended
