"""``incremental_dependency`` on a parent written into the router (not one of the manifest's
streams, stripe's checkout_sessions_line_items) in a stream without a cursor of its own stays
refused (with one, its first sync runs: test_parent_state_s15.py), and the refusal says what
differs from airbyte-cdk and where the copy differs from the stream of its name."""

from __future__ import annotations

import copy

import pytest

from restsync._errors import ConfigError
from restsync.airbyte import plan_manifest
from tests.airbyte import manifests as build


def test_a_dependency_on_a_copied_parent_is_refused_saying_what_differs() -> None:
    base = "https://api.example.com"
    sessions = build.stream("sessions", build.requester(base, "/sessions"), ["data"])
    copied = copy.deepcopy(sessions)
    copied["$parameters"] = {"path": "sessions/{{ stream_partition.id }}/lines"}
    router = build.substream(copied, "id", "session_id")
    router["parent_stream_configs"][0]["incremental_dependency"] = True
    lines = build.stream(
        "lines",
        build.requester(base, "/sessions/{{ stream_partition.session_id }}/lines"),
        ["data"],
        retriever={"partition_router": router},
    )
    with pytest.raises(ConfigError) as refused:
        plan_manifest(build.manifest(sessions, lines), {})
    sentence = str(refused.value)
    assert "a copy of stream 'sessions' that differs at $parameters, path" in sentence
    assert "reads only the children of parents changed since" in sentence
    assert "in a stream without a DatetimeBasedCursor" in sentence
    assert "Traceback" not in sentence
