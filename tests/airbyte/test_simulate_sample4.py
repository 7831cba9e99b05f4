"""Contracts of the fourth Airbyte sample the simulator serves as the API carries them: an item
of a list that a transformation reads (high-level's ``record['items'][0]['name']``)."""

from __future__ import annotations

from typing import Any

from tests.airbyte import manifests as build
from tests.airbyte.conftest import Simulate


def _stream(name: str, path: str, field_path: list[str]) -> dict[str, Any]:
    requester = build.requester("https://x.invalid/", path)
    schema = build.properties(id="integer")
    return build.stream(name, requester, field_path, primary_key=["id"], schema=schema)


def _add(stream: dict[str, Any], field: str, value: str) -> dict[str, Any]:
    stream.setdefault("transformations", []).append(
        {"type": "AddFields", "fields": [{"path": [field], "value": value}]}
    )
    return stream


def test_an_item_of_a_listed_field_a_transformation_reads_is_served_as_a_list(
    simulate: Simulate,
) -> None:
    # high-level's Order: the schema says items is an array of objects (a generic json column),
    # and AddFields reads the first item's name: served as a dict, the read failed the stream
    orders = _add(
        _stream("orders", "/orders", ["data"]), "product", "{{ record['items'][0]['name'] }}"
    )
    orders["schema_loader"]["schema"]["properties"]["items"] = {
        "type": ["array", "null"],
        "items": {"type": ["object", "null"], "properties": {"name": {"type": "string"}}},
    }
    _add(orders, "first_tag", "{{ record.tags[0] }}")
    run = simulate(build.manifest(orders), seed=3)
    served, records = run.served_and_read("orders")
    assert len(records) == len(served) > 0
    for record in records:
        assert isinstance(record["items"], list) and record["items"]
        assert record["product"] == record["items"][0]["name"]
        assert isinstance(record["product"], str)
        assert record["first_tag"] == record["tags"][0]


def test_a_page_number_sent_nowhere_is_one_page_shorter_than_the_page_size(
    simulate: Simulate,
) -> None:
    # nutshell's events: PageIncrement with a page size sent as 'limit', but no page_token_option
    # and no template reads next_page_token: every request is the same, the one answer all there is
    events = _stream("events", "/events", ["events"])
    events["retriever"]["paginator"] = {
        "type": "DefaultPaginator",
        "page_size_option": {
            "type": "RequestOption",
            "inject_into": "request_parameter",
            "field_name": "limit",
        },
        "pagination_strategy": {"type": "PageIncrement", "page_size": 500},
    }
    run = simulate(build.manifest(events), seed=5)
    served, records = run.served_and_read("events")
    assert sorted(r["id"] for r in records) == sorted(r["id"] for r in served)
    assert 0 < len(records) < 500
    assert run.requests() == {"/events": 1}


def test_a_partition_the_config_overrides_is_the_same_request_for_every_parent(
    simulate: Simulate,
) -> None:
    # circleci's jobs: '/job/{{ config['job_number'] or stream_partition['job_parent_number'] }}'
    # with a job number set never reads the partition: every parent asks for the same job
    parents = _stream("workflow_jobs", "/workflow/jobs", ["items"])
    jobs = _stream("jobs", "/job/{{ config['job'] or stream_partition['parent_id'] }}", [])
    jobs["retriever"]["partition_router"] = build.substream(parents, "id", "parent_id")
    run = simulate(build.manifest(parents, jobs), {"job": "7"}, seed=6)
    dataset = run.sim.dataset()
    records = list(run.source.resources["jobs"])
    assert len(dataset["workflow_jobs"]) > 1 and dataset["jobs"]
    assert len(records) == len(dataset["workflow_jobs"]) * len(dataset["jobs"])
    assert {r["id"] for r in records} == {r["id"] for r in dataset["jobs"]}
    assert run.requests()["/job/7"] == len(dataset["workflow_jobs"])


def test_a_body_cursor_sent_nowhere_is_one_page_without_the_cursor(simulate: Simulate) -> None:
    # mixmax's livefeed: cursor '{{ response.get("next", {}) }}', stop on hasNext == False, and
    # no page_token_option: every request is the same, so the one answer is all there is
    feed = _stream("livefeed", "/livefeed", ["results"])
    feed["retriever"]["paginator"] = {
        "type": "DefaultPaginator",
        "pagination_strategy": {
            "type": "CursorPagination",
            "cursor_value": '{{ response.get("next", {}) }}',
            "stop_condition": '{{ response.get("hasNext", {}) == False }}',
            "page_size": 10000,
        },
    }
    run = simulate(build.manifest(feed), seed=8)
    served, records = run.served_and_read("livefeed")
    assert sorted(r["id"] for r in records) == sorted(r["id"] for r in served)
    assert served and run.requests() == {"/livefeed": 1}


def test_a_date_macro_on_a_config_key_the_config_lacks_leaves_the_parameter_out(
    simulate: Simulate,
) -> None:
    # clockodo's work_times: date_since '{{ format_datetime(config['start_time'], '%Y-%m-%d') }}'
    # where the spec names start_date: airbyte-cdk leaves the parameter out and reads the
    # stream; restsync parsed '' and failed it
    times = _stream("work_times", "/work_times", ["items"])
    times["retriever"]["requester"]["request_parameters"] = {
        "date_since": "{{ format_datetime(config['start_time'], '%Y-%m-%d') }}",
        "since": "{{ timestamp(config['start_time']) }}",
    }
    run = simulate(build.manifest(times), {"start_date": "2024-01-01T00:00:00Z"}, seed=9)
    served, records = run.served_and_read("work_times")
    assert served and sorted(r["id"] for r in records) == sorted(r["id"] for r in served)


def _cursor_paged(
    name: str, cursor: str, stop: str, token: str, size: str, records: tuple[str, ...] = ("values",)
) -> dict[str, Any]:
    """A stream at /<name> paged by a CursorPagination of 10, its token sent as ``token`` and
    its page size as ``size``."""
    stream = _stream(name, f"/{name}", list(records))
    strategy = {
        "type": "CursorPagination",
        "cursor_value": cursor,
        "stop_condition": stop,
        "page_size": 10,
    }
    stream["retriever"]["paginator"] = build.paginator(
        strategy, build.option(token), size=build.option(size)
    )
    return stream


def test_a_cursor_computed_from_an_echoed_page_number_or_offset_pages_through_all(
    simulate: Simulate,
) -> None:
    # clockodo: the next page is the echoed current_page + 1, the last where count_pages is it;
    # jira: the next offset is the echoed startAt + maxResults, the last isLast or past total
    projects = _cursor_paged(
        "projects",
        "{{ response.paging.current_page | int + 1 }}",
        "{{ response.paging.count_pages == response.paging.current_page }}",
        "page",
        "items_per_page",
    )
    boards = _cursor_paged(
        "boards",
        "{{ response.get('startAt') + response['maxResults'] }}",
        "{{ response.get('isLast') or response.get('startAt') + response.get('maxResults') "
        ">= response.get('total') }}",
        "startAt",
        "maxResults",
    )
    run = simulate(build.manifest(projects, boards), seed=10)
    dataset = run.sim.dataset()
    for name in ("projects", "boards"):
        assert len(dataset[name]) == 25  # two and a half pages of 10
        records = list(run.source.resources[name])
        assert [r["id"] for r in records] == [r["id"] for r in dataset[name]], name
        assert run.requests()[f"/{name}"] == 3, name


def test_an_offset_written_inside_a_query_text_pages_through_all(simulate: Simulate) -> None:
    # quickbooks: no page_token_option; the query parameter's SQL text carries the position,
    # 'STARTPOSITION {{ (next_page_token.next_page_token or 0) + 1 }}'; short page ends it
    accounts = _stream("accounts", "/query", ["QueryResponse", "Account"])
    accounts["retriever"]["requester"]["request_parameters"] = {
        "query": "SELECT * FROM Account ORDER BY Id STARTPOSITION "
        "{{ (next_page_token.next_page_token or 0) + 1 }} MAXRESULTS 200"
    }
    accounts["retriever"]["paginator"] = {
        "type": "DefaultPaginator",
        "pagination_strategy": {"type": "OffsetIncrement", "page_size": 5},
    }
    run = simulate(build.manifest(accounts), seed=12)
    served, records = run.served_and_read("accounts")
    assert len(served) == 12  # two and a half pages of 5
    assert [r["id"] for r in records] == [r["id"] for r in served]
    assert run.requests() == {"/query": 3}


def test_a_field_inside_an_object_partition_key_binds_the_child(simulate: Simulate) -> None:
    # survicate's respondents_attributes: parent_key 'respondent' (an object in the parent's
    # records, a generic json column), the path reads '{{ stream_partition.respondent.uuid }}'
    responses = _stream("responses", "/responses", ["data"])
    responses["schema_loader"]["schema"]["properties"]["respondent"] = {"type": ["object", "null"]}
    attributes = _stream(
        "attributes", "/respondents/{{ stream_partition.respondent.uuid }}/attributes", ["data"]
    )
    attributes["retriever"]["partition_router"] = build.substream(
        responses, "respondent", "respondent"
    )
    _add(attributes, "respondent_uuid", "{{ stream_partition.respondent.uuid }}")
    run = simulate(build.manifest(responses, attributes), seed=13)
    dataset = run.sim.dataset()
    parents = dataset["responses"]
    assert parents and all(isinstance(p["respondent"]["uuid"], str) for p in parents)
    records = list(run.source.resources["attributes"])
    assert sorted(r["id"] for r in records) == sorted(r["id"] for r in dataset["attributes"])
    assert {r["respondent_uuid"] for r in records} <= {p["respondent"]["uuid"] for p in parents}
    assert set(run.sim.counters()["status"]) == {"200"}


def test_a_partition_key_the_parent_copies_from_a_nested_field_binds_the_child(
    simulate: Simulate,
) -> None:
    # appfollow (third sample): app_lists adds ext_id = '{{ record.app.ext_id }}', and
    # stat_reviews asks ?ext_id= for each: the API binds the reviews to the app's ext_id
    apps = _add(_stream("apps", "/apps", ["apps"]), "ext_id", "{{ record.app.ext_id }}")
    reviews = _stream("reviews", "/reviews/stats", ["reviews"])
    reviews["retriever"]["requester"]["request_parameters"] = {
        "ext_id": "{{ stream_slice.ext_id }}"
    }
    reviews["retriever"]["partition_router"] = build.substream(apps, "ext_id", "ext_id")
    run = simulate(build.manifest(apps, reviews), seed=14)
    dataset = run.sim.dataset()
    records = list(run.source.resources["reviews"])
    assert dataset["reviews"] and len(dataset["apps"]) > 1
    assert sorted(r["id"] for r in records) == sorted(r["id"] for r in dataset["reviews"])
    assert set(run.sim.counters()["status"]) == {"200"}


def test_a_cursor_of_the_last_key_plus_one_pages_through_all(simulate: Simulate) -> None:
    # zendesk-chat's agents: since_id = '{{ last_record['id'] + 1 }}', records from that id on,
    # until an empty page ('{{ not last_record }}')
    cursor, stop = "{{ last_record['id'] + 1 }}", "{{ not last_record }}"
    agents = _cursor_paged("agents", cursor, stop, "since_id", "limit", records=())
    run = simulate(build.manifest(agents), seed=15)
    served, records = run.served_and_read("agents")
    assert len(served) == 25
    assert [r["id"] for r in records] == [r["id"] for r in served]
    assert set(run.sim.counters()["status"]) == {"200"}
