"""A report-jobs API (an AsyncRetriever's contract) on two local servers, and manifests for it.

The API server creates a job per POST (``/exports``), answers its status at ``/exports/<id>``
(``pending`` for the first ``polls_before_ready`` polls, then ``ready`` with the download URLs)
and the files server (another origin, as a presigned storage URL is) serves each job's records
in parts, two records a part. ``fail`` makes every job end ``failed``, ``fail_first`` each
segment's first job; ``never`` leaves every job ``pending``. ``most_running`` is the most jobs
the API had running at once (created, their final status not yet answered). ``via_target``:
the ready status names no file, ``/exports/<id>/files`` lists them (a download_target_requester's
endpoint). ``heard`` is each request's route and the credential headers it carried.
``refuse_creates``: the first so many creation requests answer HTTP 400.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from restsync._engine._scheduler import Engine
from tests.airbyte import manifests as build
from tests.conftest import RoutedServer

SEGMENTS = ["a", "b", "c"]
CREDENTIALS = ("Authorization", "X-Poll-Key", "X-File-Key")  # the headers ``heard`` notes


@dataclass
class ReportApi:
    files_url: str = ""
    polls_before_ready: int = 1
    fail: bool = False
    never: bool = False
    gzip_csv: bool = False
    fail_first: bool = False
    via_target: bool = False
    deny_polls: bool = False  # every poll answers HTTP 401
    echo_key: bool = False  # the status answered is the poll's X-Poll-Key (an API that echoes)
    refuse_creates: int = 0  # the first this many creation requests answer HTTP 400
    refused: int = 0
    created: list[dict[str, Any]] = field(default_factory=list)
    polls: dict[str, int] = field(default_factory=dict)
    aborted: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    download_auth: list[str | None] = field(default_factory=list)
    poll_auth: list[str | None] = field(default_factory=list)
    running: set[str] = field(default_factory=set)
    most_running: int = 0
    heard: list[tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=list)

    def serve(self, api: Any, files: Any) -> None:
        api.route("POST", "/exports", self.create)
        api.route("GET", "/exports/{id}", self.status)
        api.route("POST", "/exports/{id}/cancel", self.abort)
        api.route("POST", "/exports/{id}/delete", self.delete)
        api.route("GET", "/exports/{id}/files", self.files)
        files.route("GET", "/files/{id}/{part}", self.download)

    async def create(self, request: web.Request) -> web.Response:
        self._hear("create", request)
        body = await request.json()
        if self.refused < self.refuse_creates:
            self.refused += 1
            return web.json_response({"error": "report quota busy"}, status=400)
        job = f"job-{body.get('segment')}-{len(self.created) + 1}"
        self.created.append({"id": job, **body})
        self.running.add(job)
        self.most_running = max(self.most_running, len(self.running))
        return web.json_response({"id": job, "state": "accepted"})

    async def status(self, request: web.Request) -> web.Response:
        job = request.match_info["id"]
        self._hear("poll", request)
        self.poll_auth.append(request.headers.get("Authorization"))
        if self.deny_polls:
            return web.json_response({"error": "unauthorized"}, status=401)
        if self.echo_key:
            return web.json_response({"id": job, "status": request.headers.get("X-Poll-Key")})
        self.polls[job] = self.polls.get(job, 0) + 1
        segment = job.split("-")[1]
        first = next(j["id"] for j in self.created if j["id"].split("-")[1] == segment)
        if self.fail or (self.fail_first and job == first):
            self.running.discard(job)
            return web.json_response({"id": job, "status": "failed"})
        if self.never or self.polls[job] <= self.polls_before_ready:
            return web.json_response({"id": job, "status": "pending"})
        self.running.discard(job)
        if self.via_target:
            return web.json_response({"id": job, "status": "ready"})
        urls = [f"{self.files_url}/files/{job}/{part}" for part in (1, 2)]
        return web.json_response({"id": job, "status": "ready", "urls": urls})

    def _hear(self, route: str, request: web.Request) -> None:
        said = tuple((h, request.headers[h]) for h in CREDENTIALS if h in request.headers)
        self.heard.append((route, said))

    async def files(self, request: web.Request) -> web.Response:
        self._hear("target", request)
        job = request.match_info["id"]
        return web.json_response({"files": [f"{self.files_url}/files/{job}/{p}" for p in (1, 2)]})

    async def abort(self, request: web.Request) -> web.Response:
        self._hear("abort", request)
        self.aborted.append(request.match_info["id"])
        self.running.discard(request.match_info["id"])
        return web.json_response({})

    async def delete(self, request: web.Request) -> web.Response:
        self._hear("delete", request)
        self.deleted.append(request.match_info["id"])
        return web.json_response({})

    async def download(self, request: web.Request) -> web.Response:
        self._hear("download", request)
        self.download_auth.append(request.headers.get("Authorization"))
        job, part = request.match_info["id"], int(request.match_info["part"])
        segment = job.split("-")[1]
        rows = [
            {"id": f"{segment}{2 * part - 1 + i}", "segment": segment, "clicks": part * 10 + i}
            for i in range(2)
        ]
        if not self.gzip_csv:
            return web.json_response(rows)
        text = "id,segment,clicks\n" + "".join(
            f"{r['id']},{r['segment']},{r['clicks']}\n" for r in rows
        )
        return web.Response(body=gzip.compress(text.encode()), content_type="text/csv")


@contextmanager
def serving(api: ReportApi, files_apart: bool = True) -> Iterator[str]:
    """``api`` on a local server, its files on another (another origin, as a presigned storage
    URL is) or, ``files_apart=False``, on the same one; yields the API's URL."""
    server = RoutedServer()
    files = RoutedServer() if files_apart else server
    api.serve(server, files)
    server.start()
    if files is not server:
        files.start()
    api.files_url = files.base_url
    try:
        yield server.base_url
    finally:
        server.stop()
        if files is not server:
            files.stop()


class Sink:
    """What the loader would take: the records, kept in a list."""

    def __init__(self) -> None:
        self.got: list[Any] = []

    async def records(self, resource: str, records: list[Any]) -> list[Any]:
        self.got.extend(records)
        return []

    async def rejects(self, rejects: list[Any]) -> None:
        return None

    async def finished(self, resource: str, error: Any) -> None:
        return None


def run_engine(plan: Any, stream: str = "clicks") -> tuple[Any, list[float], list[Any]]:
    """Run the plan's engine with its sleep recorded instead of slept: the report, the waits
    and the stream's records."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    sink = Sink()
    report = asyncio.run(Engine(plan, sink, deliver={stream}, sleep=sleep).run())
    return report, slept, sink.got


def report_manifest(
    api_url: str, *, timeout: int | None = None, decoder: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One AsyncRetriever stream over ``SEGMENTS`` (a job each), its records filtered and
    given a field, the API's key a Bearer token on the API's own requesters."""
    auth = {"type": "BearerAuthenticator", "api_token": "{{ config['api_key'] }}"}
    requester = build.requester(api_url, "/exports", http_method="POST", authenticator=auth)
    requester["request_body_json"] = {"segment": "{{ stream_partition['segment'] }}"}
    retriever: dict[str, Any] = {
        "type": "AsyncRetriever",
        "creation_requester": requester,
        "polling_requester": build.requester(
            api_url, "/exports/{{ creation_response['id'] }}", authenticator=auth
        ),
        "abort_requester": build.requester(
            api_url,
            "/exports/{{ creation_response['id'] }}/cancel",
            http_method="POST",
            authenticator=auth,
        ),
        "delete_requester": build.requester(
            api_url,
            "/exports/{{ creation_response['id'] }}/delete",
            http_method="POST",
            authenticator=auth,
        ),
        "download_requester": build.requester("{{ download_target }}", http_method="GET"),
        "status_extractor": {"type": "DpathExtractor", "field_path": ["status"]},
        "status_mapping": {
            "type": "AsyncJobStatusMap",
            "running": ["pending"],
            "completed": ["ready"],
            "failed": ["failed"],
            "timeout": ["timeout"],
        },
        "download_target_extractor": {"type": "DpathExtractor", "field_path": ["urls"]},
        "record_selector": {
            "type": "RecordSelector",
            "extractor": {"type": "DpathExtractor", "field_path": []},
            "record_filter": {
                "type": "RecordFilter",
                "condition": "{{ record['id'] != 'c3' }}",
            },
        },
        "partition_router": {
            "type": "ListPartitionRouter",
            "cursor_field": "segment",
            "values": SEGMENTS,
        },
    }
    if timeout is not None:
        retriever["polling_job_timeout"] = timeout
    if decoder is not None:
        retriever["download_decoder"] = decoder
    stream: dict[str, Any] = {
        "type": "DeclarativeStream",
        "name": "clicks",
        "primary_key": ["id"],
        "retriever": retriever,
        "transformations": [
            {
                "type": "AddFields",
                "fields": [
                    {
                        "type": "AddedFieldDefinition",
                        "path": ["job"],
                        "value": "{{ stream_partition['segment'] }}-report",
                    }
                ],
            }
        ],
        "schema_loader": {
            "type": "InlineSchemaLoader",
            "schema": build.properties(id="string", segment="string", clicks="integer"),
        },
    }
    return build.manifest(stream, check={"type": "CheckStream", "stream_names": ["clicks"]})


def dumped(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest)
