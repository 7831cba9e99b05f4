"""Contracts of the second Airbyte sample the simulator serves as the API carries them: a route
inside the query (testrail's ``index.php?/api/v2/get_plans/<project>``), a cursor that is a
parameter of the Link header's next link (sentry)."""

from __future__ import annotations

from typing import Any

import pytest

from restsync.airbyte import plan_manifest
from restsync.airbyte._simulate import simulator_plan
from restsync.simulator import SimulatorError
from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate


def _stream(name: str, path: str, field_path: list[str]) -> dict[str, Any]:
    pages = build.paginator(
        {"type": "OffsetIncrement", "page_size": 10},
        build.option("offset"),
        size=build.option("limit"),
    )
    return build.stream(
        name,
        build.requester("https://x.invalid/", path),
        field_path,
        primary_key=["id"],
        paginator=pages,
        schema=build.properties(id="integer"),
    )


def _partitioned(child: dict[str, Any], parent: dict[str, Any]) -> dict[str, Any]:
    child["retriever"]["partition_router"] = build.substream(parent, "id", "project_id")
    return child


def test_a_route_in_the_query_part_of_the_path_binds_its_partition(simulate: Simulate) -> None:
    # testrail: every endpoint is 'index.php?/api/v2/<call>', the project in that query key
    projects = _stream("projects", "index.php?/api/v2/get_projects", ["projects"])
    plans = _partitioned(
        _stream(
            "plans", "index.php?/api/v2/get_plans/{{ stream_partition.project_id }}", ["plans"]
        ),
        projects,
    )
    roles = _stream("roles", "index.php?/api/v2/get_roles", ["roles"])
    manifest = build.manifest(projects, plans, roles)
    run = simulate(manifest, seed=4)
    dataset = run.sim.dataset()
    assert len(dataset["projects"]) > 10  # more than one page of parents
    for name in ("projects", "plans", "roles"):
        records = list(run.source.resources[name])
        assert sorted(r["id"] for r in records) == sorted(r["id"] for r in dataset[name]), name
    requests = run.requests()
    # one route per call, each project's plans asked for once per page
    assert set(requests) == {
        "/index.php?/api/v2/get_projects",
        "/index.php?/api/v2/get_plans/{project_id}",
        "/index.php?/api/v2/get_roles",
    }
    assert set(run.sim.counters()["status"]) == {"200"}


@pytest.mark.parametrize(
    ("stop", "requests"),
    [('{{ headers["link"]["next"]["results"] == "false" }}', 3), (None, 3)],
)
def test_a_cursor_in_a_parameter_of_the_link_header_is_followed(
    simulate: Simulate, stop: str | None, requests: int
) -> None:
    # sentry: Link: <...&cursor=X>; rel="next"; results="true"; cursor="X", read as
    # headers["link"]["next"]["cursor"]; results="false" on the last page ends the paging
    events = _stream("events", "/events", [])
    paginator = events["retriever"]["paginator"]
    del paginator["page_size_option"]
    paginator["page_token_option"]["field_name"] = "cursor"
    strategy = {
        "type": "CursorPagination",
        "cursor_value": '{{ headers["link"].get("next", {}).get("cursor", {}) }}',
    }
    if stop:
        strategy["stop_condition"] = stop
    paginator["pagination_strategy"] = strategy
    run = simulate(build.manifest(events), seed=7)
    served, records = run.served_and_read("events")
    assert 50 < len(served) <= 75  # three of the simulator's pages
    assert [r["id"] for r in records] == [r["id"] for r in served]
    assert run.requests() == {"/events": requests}


def test_a_json_body_with_a_stray_character_after_it_is_read(simulate: Simulate) -> None:
    # senseforce: request_body_data '[{"clause": ...}]/' sent as application/json, which its
    # API reads; the simulator answered 400 to both clients
    rows = _stream("rows", "/api/dataset/execute/7", [])
    rows["retriever"]["requester"].update(
        http_method="POST",
        request_headers={"Content-Type": "application/json"},
        request_body_data='[{"orderBy": 1, "columnName": "Timestamp"}]/\n',
    )
    run = simulate(build.manifest(rows), seed=2)
    served, records = run.served_and_read("rows")
    assert len(served) > 10
    assert sorted(r["id"] for r in records) == sorted(r["id"] for r in served)
    assert set(run.sim.counters()["status"]) == {"200"}


def test_a_partition_sent_nowhere_repeats_the_same_request_for_every_parent(
    simulate: Simulate,
) -> None:
    # mailosaur's messages, front's company_tags: a SubstreamPartitionRouter whose partition
    # no part of the request names; both clients ask the same thing once per parent record
    servers = _stream("servers", "/servers", ["items"])
    messages = _partitioned(_stream("messages", "/messages", ["items"]), servers)
    manifest = build.manifest(servers, messages)
    run = simulate(manifest, seed=6, streams=["messages"])
    dataset = run.sim.dataset()
    assert run.served.resources["messages"].parent is None  # served as the API does: unbound
    parents = len(dataset["servers"])
    records = list(run.source.resources["messages"])
    assert parents > 1 and len(dataset["messages"]) > 10
    assert sorted(r["id"] for r in records) == sorted(
        r["id"] for r in dataset["messages"] * parents
    )
    assert set(run.sim.counters()["status"]) == {"200"}


def test_two_streams_at_one_route_with_other_partition_options_are_named() -> None:
    # free-agent-connector: Contact Notes and Project Notes both GET /notes, one with
    # ?contact=<parent>, the other with ?project=<parent>: one route cannot answer both
    contacts = _stream("contacts", "/contacts", ["contacts"])
    projects = _stream("projects", "/projects", ["projects"])
    notes = []
    for name, parent, param in (
        ("contact_notes", contacts, "contact"),
        ("project_notes", projects, "project"),
    ):
        stream = _partitioned(_stream(name, "/notes", ["notes"]), parent)
        config = stream["retriever"]["partition_router"]["parent_stream_configs"][0]
        config["request_option"] = build.option(param)
        notes.append(stream)
    manifest = build.manifest(contacts, projects, *notes)
    plan = plan_manifest(manifest, {})
    with pytest.raises(SimulatorError, match="'contact_notes' and 'project_notes' are both at"):
        simulator_plan(plan)


def test_a_path_computed_from_a_partition_value_is_named() -> None:
    # free-agent-connector's payroll: '/payroll/<the year of the parent's ends_on>' raised a
    # TemplateError out of the simulator (the placeholder '{...}' is no date)
    periods = _stream("periods", "/periods", ["periods"])
    payroll = _partitioned(
        _stream(
            "payroll",
            "/payroll/{{ format_datetime(stream_partition.project_id, '%Y') }}",
            ["payroll"],
        ),
        periods,
    )
    manifest = build.manifest(periods, payroll)
    plan = plan_manifest(manifest, {})
    with pytest.raises(SimulatorError, match="'payroll': its path is computed from a partition"):
        simulator_plan(plan)


def test_a_path_with_an_empty_segment_is_served_where_clients_send_it(
    simulate: Simulate,
) -> None:
    # jotform: '/form//{{ stream_partition['form_id'] }}/questions'. airbyte-cdk and restsync
    # join the path with urljoin, which drops the empty segment (/form/<id>/questions); the
    # simulator served the literal 'form//{form_id}/questions', so every child request got 404
    forms = _stream("forms", "/forms", ["forms"])
    questions = _partitioned(
        _stream("questions", "/form//{{ stream_partition.project_id }}/questions", ["questions"]),
        forms,
    )
    run = simulate(build.manifest(forms, questions), seed=5)
    dataset = run.sim.dataset()
    records = list(run.source.resources["questions"])
    assert records and sorted(r["id"] for r in records) == sorted(
        r["id"] for r in dataset["questions"]
    )
    assert set(run.sim.counters()["status"]) == {"200"}
    assert "/form/{project_id}/questions" in run.requests()
