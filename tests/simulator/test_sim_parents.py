"""Child resources: answered for the parents' real keys, 404 for others, some parents childless."""

from __future__ import annotations

from typing import Any

from sim_plans import plan_of, seed_plan
from sim_walker import fetch, walk_plan

from restsync.simulator import SimulatorOptions, serve_in_thread


def _config(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"client": {"base_url": "https://api.example.com"}, "resources": list(resources)}


def test_unknown_parent_id_is_a_404_json() -> None:
    plan = seed_plan("webhook_service")
    with serve_in_thread(plan) as sim:
        reply = fetch(sim.base_url + "/v1/app/no-such-app/endpoint", sim.credential)
        known = sim.dataset()["applications"][0]["id"]
        ok = fetch(sim.base_url + f"/v1/app/{known}/endpoint", sim.credential)
    assert reply.status == 404
    assert reply.json() == {"error": "not found"}
    assert ok.status == 200


def test_every_fifth_parent_has_no_children() -> None:
    plan = seed_plan("webhook_service")
    with serve_in_thread(plan, SimulatorOptions(seed=0)) as sim:
        apps = sim.dataset()["applications"]
        sizes = [
            len(fetch(sim.base_url + f"/v1/app/{a['id']}/endpoint", sim.credential).json()["data"])
            for a in apps[:10]
        ]
    assert sizes == [3, 3, 3, 3, 0, 3, 3, 3, 3, 0]
    assert len(sim.dataset()["endpoints"]) == 3 * (len(apps) - len(apps) // 5)


def test_children_primary_keys_are_unique_across_parents() -> None:
    plan = seed_plan("video_rooms")
    with serve_in_thread(plan) as sim:
        peers = sim.dataset()["active_room_peers"]
    ids = [p["id"] for p in peers]
    assert len(ids) == len(set(ids))


def test_explicit_resources_placeholder_binds_a_non_key_field() -> None:
    plan = plan_of(_config(
        {"name": "projects", "primary_key": "id", "endpoint": {"path": "/projects"}},
        {"name": "issues", "endpoint": {"path": "/projects/{resources.projects.slug}/issues"}},
    ))
    with serve_in_thread(plan, SimulatorOptions(records_per_resource=4)) as sim:
        projects = sim.dataset()["projects"]
        assert len({p["slug"] for p in projects}) == len(projects)
        walks = walk_plan(sim.base_url, plan, sim.credential)
        assert walks["issues"].records == sim.dataset()["issues"]
        assert fetch(sim.base_url + "/projects/nope/issues").status == 404


def test_query_param_binding_filters_children() -> None:
    plan = plan_of(_config(
        {"name": "projects", "endpoint": {"path": "/projects"}},
        {"name": "comments", "endpoint": {"path": "/comments", "params": {
            "project_id": "{resources.projects.id}"}}},
    ))
    with serve_in_thread(plan, SimulatorOptions(records_per_resource=5)) as sim:
        first = sim.dataset()["projects"][0]["id"]
        one = fetch(sim.base_url + "/comments", params={"project_id": first}).json()["data"]
        unknown = fetch(sim.base_url + "/comments", params={"project_id": "zzz"})
        missing = fetch(sim.base_url + "/comments")
        walks = walk_plan(sim.base_url, plan, sim.credential)
        assert walks["comments"].records == sim.dataset()["comments"]
    assert len(one) == 5
    assert unknown.status == 200 and unknown.json()["data"] == []
    assert missing.status == 400


def test_grandchildren_follow_their_parents() -> None:
    plan = plan_of(_config(
        {"name": "orgs", "endpoint": {"path": "/orgs"}},
        {"name": "teams", "endpoint": {"path": "/orgs/{resources.orgs.id}/teams"}},
        {"name": "members", "endpoint": {"path": "/teams/{resources.teams.id}/members"}},
    ))
    with serve_in_thread(plan, SimulatorOptions(records_per_resource=2)) as sim:
        walks = walk_plan(sim.base_url, plan, sim.credential)
        dataset = sim.dataset()
    for name in ("orgs", "teams", "members"):
        assert walks[name].records == dataset[name]
    assert len(dataset["members"]) > 0
