"""Real manifests through airbyte-cdk and through restsync, against restsync's simulator.

    make airbyte-reference                                   # once: .venv-airbyte with the CDK
    .venv/bin/python scripts/airbyte_corpus_diff.py FOLDER [--timeout 120] [--listed-cap 20]
                                                     [--perturb SEED]

FOLDER holds manifests (``*.yaml`` or ``<connector>/manifest.yaml``, kept outside this
repository). Per manifest: ``check`` (restsync's translation, with a placeholder config built
from the spec as in scripts/airbyte_corpus.py); the simulator is started on 127.0.0.1 for the
streams it can serve faithfully (behind the report-job front that ``restsync simulate`` starts
for AsyncRetriever streams); the CDK (a subprocess in .venv-airbyte) and restsync (a child
process) read those streams from that same server, both without the manifest's
``api_budget`` (the API's rate limit is not the simulator's, and records do not depend on it);
records are compared per stream.

``--timeout`` (seconds, 120 by default) is each stream's own budget, on both sides: a side is
stopped when that long passes without one more stream ending (restsync reads its streams one
after another, so the one it was reading is given up and a fresh child reads the rest;
airbyte-cdk reads several at once, so each stream it had not ended runs again on its own in
a fresh CDK). One stream that never ends costs its own budget, not the others'.

``--listed-cap`` (20 by default): of the streams one API-listed ``dynamic_streams`` entry
resolves to, the first that many by name are compared; the entry's own line says how many were
left unread. Each such entry is served and compared on its own. A stream whose partition
routers multiply (a product of parent streams) is served smaller, in a round of its own, and
its verdict says so. Neither client may reach a host off the loopback (scripts/loopback_only.py).

``--perturb SEED``: both sides read through scripts/airbyte_perturb.py's proxy, which changes
the simulator's pages as a real API's are (null or missing fields, numbers as strings, other
datetime formats, unicode, empty pages, duplicates, a string among the records), the same bytes
for both, drawn from SEED (the streams an API lists are served as they are). A stream for which
airbyte-cdk reported an error after some records is then ``cdk-failed`` (or ``both-failed``
when restsync failed too), not compared on the records it read before failing.

Every stream lands in one category (a connector in its streams' worst, in this order):

``rejected``           restsync's check refuses it, with the reason
``different``          both read it and the records differ, or only restsync failed
``unfinished``         a side did not finish it within its budget: nothing compared
``cdk-failed``         airbyte-cdk failed (an error, no record) where restsync read records
``both-failed``        both clients refuse the served data: usually a simulator limit (a value
                       not served in the form the manifest parses), not a restsync difference
``simulator-limited``  the simulator cannot serve its contract, so no comparison is made
``set-aside``          (--perturb only) the same records once those restsync put in its
                       ``_restsync_rejects`` table (no primary key, an unreadable cursor value)
                       are counted: airbyte-cdk emits them, restsync does not load them
``identical``          the same records (a field filled from the read time masked)

None but ``identical`` counts as identical; a connector is identical when all its streams are.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from airbyte_corpus import (  # noqa: E402
    _PLACEHOLDERS,
    connector_name,
    manifest_paths,
    placeholder_config,
    stream_names,
    translate,
)
from airbyte_diff import REFERENCE_PYTHON, canonical, reference_records  # noqa: E402
from airbyte_perturb import manifest_words, perturbing_proxy  # noqa: E402
from loopback_only import install as loopback_only  # noqa: E402

from restsync import ConfigError  # noqa: E402
from restsync._load._bridge import REJECTS_TABLE  # noqa: E402
from restsync.airbyte import airbyte_source, plan_manifest, skipped_streams  # noqa: E402
from restsync.airbyte._records import AddField  # noqa: E402
from restsync.airbyte._simulate import _slicer, simulator_plan  # noqa: E402
from restsync.airbyte._simulate_dynamic import served_manifest  # noqa: E402
from restsync.airbyte._source import listed_streams  # noqa: E402
from restsync.cli._simulate import _job_front  # noqa: E402
from restsync.simulator import SimulatorError, SimulatorOptions, serve_in_thread  # noqa: E402
from restsync.simulator._compile import compile_plan  # noqa: E402

_OPTIONS = SimulatorOptions(seed=11)
# a stream whose partition routers multiply (a product of parent streams, nylas' events: every
# grant with every calendar of every grant) is served smaller, in a round of its own: at the
# default size its 125 grants x 300 calendars were 37,500 requests, which airbyte-cdk (at about
# 150 a second) could not send within the budget; here 8 x 64 = 512
_SMALL_RECORDS = 8
_SMALL = SimulatorOptions(seed=11, records_per_resource=_SMALL_RECORDS)
# the streams of one API-listed dynamic_streams entry compared at most (the first by name; the
# verdict says how many were left): a listing of hundreds (a table per customer) would
# otherwise hold a run for hours, each stream with its own budget on both sides
LISTED_CAP = 20
# an address's scheme and host, the host possibly templated in part (``{{ ... }}`` spans spaces
# and quotes, which end a plain host)
_HOST = re.compile(r"^https?://[^/?#]+")  # an address's scheme and host, its path left
_ADDRESS = re.compile(r"https?://(?:[^/'\"\s{]|\{\{.*?\}\}|\{(?!\{))+")


def pointed_at(node: Any, base_url: str) -> Any:
    """The manifest with every requester's URL (and OAuth token endpoint) on the simulator, so
    the CDK reaches nothing but 127.0.0.1 (restsync gets the same through ``base_url``)."""
    if isinstance(node, list):
        return [pointed_at(item, base_url) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: pointed_at(value, base_url) for key, value in node.items()}
    # (or one that extends another by $ref and sets its own url: uptick's 49 streams each
    # give '{{ config["base_url"] }}/api/v2.14/<stream>/' over a shared requester)
    requester = copy.get("type") == "HttpRequester" or "http_method" in copy or "$ref" in copy
    found = re.match(r"https?://[^/]+", base_url)
    origin = found.group(0) if found else base_url
    # an AsyncRetriever's download at ``{{ download_target }}`` stays: the job front's poll
    # gives an address on 127.0.0.1
    download = "download_target" in str(copy.get("url_base") or copy.get("url") or "")
    if isinstance(copy.get("url_base"), str) and not download:
        copy["url_base"] = base_url
    elif requester and isinstance(copy.get("url"), str) and not download:
        # a whole address: its path on the simulator's origin, as restsync's base_url moves it
        # (or a config template for the host, feishu's ``{{ config['lark_host'] }}/...``)
        url = re.sub(r"^\{\{[^}]*\}\}(?=/)", origin, copy["url"].strip())
        copy["url"] = _HOST.sub(origin, url)
    if requester and isinstance(copy.get("path"), str) and _ADDRESS.match(copy["path"].strip()):
        # a whole address as the path under a url_base (pennylane's plan_items): the CDK's
        # join keeps its host, so it moves to the simulator's origin, as restsync's base_url
        # moves it, its path kept
        copy["path"] = _HOST.sub(origin, copy["path"].strip())
    if isinstance(copy.get("token_refresh_endpoint"), str):
        # the same path on the simulator's origin, as restsync's base_url moves it
        # (a host that is a config value, uptick's '{{ config["base_url"] }}/api/oauth2/token/')
        endpoint = re.sub(r"^\{\{[^}]*\}\}(?=/)", origin, copy["token_refresh_endpoint"].strip())
        # (every address in a template too: lever-hiring's picks sandbox or production)
        # and a host with a template in it, zoho's ``accounts.zoho.{{ config["data_center"] }}``
        copy["token_refresh_endpoint"] = re.sub(_ADDRESS, origin, endpoint)
    return copy


def only_streams(
    path: Path, config: dict[str, Any], streams: list[str], api_listed: bool = False
) -> dict[str, Any]:
    """The manifest as written, its ``streams`` list cut to the compared ones: the CDK builds
    every listed stream, and one with a custom class it cannot load would fail them all.
    ``api_listed``: the compared streams are those an API lists (then none of ``streams``);
    otherwise the ``dynamic_streams`` an API lists are left out: the CDK sends their listing
    requests before any read, and a simulator that does not serve the listing failed them
    all with a 404."""
    document = yaml.safe_load(path.read_text())
    names = stream_names(path, config)  # in the order of the manifest's list
    listed = [spec for _, spec in listed_streams(document["streams"], config)]
    document["streams"] = [s for s, n in zip(listed, names, strict=True) if n in streams]
    dynamic = document.get("dynamic_streams")
    if isinstance(dynamic, list) and not api_listed:
        document["dynamic_streams"] = [entry for entry in dynamic if not _api_lists(entry)]
    return document


def _api_lists(entry: Any) -> bool:
    """Whether a ``dynamic_streams`` entry's streams are listed by the API."""
    resolver = entry.get("components_resolver") if isinstance(entry, dict) else None
    return isinstance(resolver, dict) and resolver.get("type") == "HttpComponentsResolver"


def servable(
    path: Path, config: dict[str, Any], streams: list[str]
) -> tuple[list[str], dict[str, str]]:
    """The streams the simulator can serve, and why it cannot serve the others."""
    ok: list[str] = []
    limited: dict[str, str] = {}
    for stream in streams:
        try:
            # compiled too: a contract the simulator cannot bind fails here, not at serve time
            compile_plan(simulator_plan(plan_manifest(path, config, streams=[stream])), _OPTIONS)
        except (SimulatorError, ConfigError) as exc:
            limited[stream] = str(exc)
            continue
        except Exception as exc:  # a bug in the simulator: named, the run goes on
            limited[stream] = f"the simulator failed: {type(exc).__name__}: {exc}"[:300]
            continue
        ok.append(stream)
    return ok, limited


def rounds(
    path: Path, config: dict[str, Any], ok: list[str], alone: set[str] | None = None
) -> list[list[str]]:
    """The servable streams in groups that can share one simulator: a stream at the route of
    another that asks for something else (serpstat: every stream POSTs to '/'; freshsales:
    open and won deals differ by a parameter) goes to a later round, served on its own; so
    does a stream whose partition routers multiply (served smaller: see ``multiplies``; the
    caller that already knows them passes them as ``alone``)."""
    groups: list[list[str]] = []
    if alone is None:
        alone = {stream for stream in ok if multiplies(path, config, stream)}
    for stream in ok:
        if stream in alone:
            groups.append([stream])  # served smaller, on its own (see _SMALL)
            continue
        for group in groups:
            if group[0] in alone:
                continue
            try:
                simulator_plan(plan_manifest(path, config, streams=[*group, stream]))
            except SimulatorError:
                continue
            if _partitions_clash(path, config, [*group, stream]):
                continue
            group.append(stream)
            break
        else:
            groups.append([stream])
    return groups


def multiplies(path: Path, config: dict[str, Any], stream: str) -> bool:
    """Whether the stream's partitions are a product of two or more parent streams' records
    (a list of SubstreamPartitionRouters): its requests grow as the product of their sizes."""
    plan = plan_manifest(path, config, streams=[stream])
    slicer = _slicer(plan.resources[stream], plan)
    return slicer is not None and bool(slicer.others)


def _partitions_clash(path: Path, config: dict[str, Any], streams: list[str]) -> bool:
    """Whether two of the streams are served at one route but ask for other things there: a
    query in the path (testrail's ``index.php?/api/v2/get_priorities``) or partitions sent under
    other names (free-agent-connector's /notes?contact= and ?project=). The simulator would
    answer one of them, and the other would fail on both sides."""
    plan = plan_manifest(path, config, streams=streams)
    served = simulator_plan(plan).resources
    seen: dict[tuple[str, str], Any] = {}
    for name in streams:
        requests = plan.resources[name].paginator
        asks = (getattr(requests, "path", None), tuple(getattr(requests, "slice_options", ())))
        if seen.setdefault((served[name].method, served[name].path), asks) != asks:
            return True
    return False


def compare(
    path: Path,
    config: dict[str, Any],
    streams: list[str],
    timeout: float,
    served: Any = None,
    options: SimulatorOptions = _OPTIONS,
    perturb: int | None = None,
) -> dict[str, str]:
    """Each stream's verdict after reading it through both sides from one simulator (``served``:
    the plan it serves when not the streams' own, the streams an API lists; ``options``: the
    simulator's, the harness's seed at the default size unless said; ``perturb``: a seed for
    scripts/airbyte_perturb.py's proxy, which both sides then read through)."""
    # (the streams an API lists: no report-job front, the listing's plan is served as is)
    client = None if served else plan_manifest(path, config, streams=streams)
    verdicts: dict[str, str] = {}
    with (
        serve_in_thread(served or simulator_plan(client), options) as sim,
        # report-job streams (AsyncRetriever) through the front `restsync simulate` starts:
        # the simulator alone answers their job creation with 405, on both sides
        _job_front(client, sim.base_url) as front,
        _perturbed(front, perturb, path) as base_url,
        tempfile.TemporaryDirectory() as folder,
    ):
        document = pointed_at(only_streams(path, config, streams, served is not None), base_url)
        # the API's rate budget is not the simulator's, and records do not depend on it:
        # cin7's 60 calls a minute made its 2,500 purchases one request a second on both sides
        document.pop("api_budget", None)
        # in a folder of this run's own, never the corpus's (read-only, and two runs of one
        # connector at once would overwrite each other's copy): the CDK loads the manifest
        # as a document, and finds packaged schemas through the working folder
        copy = Path(folder) / "simulated-manifest.yaml"
        copy.write_text(yaml.safe_dump(document, sort_keys=False))
        cwd = _package_folder(path, Path(folder) / "cwd")
        expected, errors = reference_records(copy, config, streams, timeout, cwd)
        ours_path = _without_budget(path, Path(folder) / "restsync")
        # (awkward data: the records restsync set aside in its rejects table too, see _aside)
        aside: dict[str, list[Any]] | None = {} if perturb is not None else None
        ours = restsync_records(ours_path, config, streams, base_url, timeout, aside)
        for stream in streams:
            want = expected.get(stream, [])
            own = [e for e in errors if e.startswith(f"{stream}: ")]
            mine = own or [
                e for e in errors if ": " not in e[:60] or e.split(": ")[0] not in streams
            ]
            if perturb is not None and not own and any(e.split(": ")[0] in streams for e in errors):
                # awkward data: the CDK's "Concurrent read failure" is another stream's, which
                # it names, not this one's
                mine = []
            cdk_error = mine[0].removeprefix(f"{stream}: ") if mine else None
            got = ours.get(stream)
            # awkward data: the CDK may fail part way, after some records (a record that is not
            # an object); restsync failing too is agreement, not a difference
            partway = _partway(got, want, own) if perturb is not None and want else None
            failed = partway or _failure(got, want, cdk_error)
            if failed is not None or not isinstance(got, list):
                verdicts[stream] = (failed or "different: restsync failed")[:300]
            elif canonical(want) == canonical(got):
                verdicts[stream] = f"identical ({len(got)} records)"
            elif aside and aside.get(stream) and (found := _aside(want, got, aside[stream])):
                verdicts[stream] = found
            elif (
                aside
                and aside.get(stream)
                and (clock := clock_fields(path, config, stream, served))
                and (found := _aside(want, got, aside[stream], clock))
            ):
                verdicts[stream] = found + f" (read time in {'/'.join(clock[0])} masked)"
            elif (clock := clock_fields(path, config, stream, served)) and canonical(
                _masked(want, clock)
            ) == canonical(_masked(got, clock)):
                shown = ", ".join("/".join(p) for p in clock)
                verdicts[stream] = f"identical ({len(got)} records; read time in {shown} masked)"
            else:
                verdicts[stream] = _difference(want, got)
    if options.records_per_resource is not None:
        note = (
            f"; served at {options.records_per_resource} records a resource and a parent: its "
            "partition routers multiply their parents' records"
        )
        verdicts = {s: v + note for s, v in verdicts.items()}
    return verdicts


@contextmanager
def _perturbed(base_url: str, seed: int | None, path: Path) -> Iterator[str]:
    """``base_url`` as is, or (a seed) through a perturbing proxy in front of it."""
    if seed is None:
        yield base_url
        return
    with perturbing_proxy(base_url, seed, manifest_words(path.read_text())) as url:
        yield url


def _aside(
    want: list[Any], got: list[Any], rejects: list[Any], clock: Sequence[tuple[str, ...]] = ()
) -> str | None:
    """The verdict when restsync's records and those it set aside in ``_restsync_rejects``
    (``[reason, record]`` pairs: no primary key, a cursor value it cannot read) are together
    airbyte-cdk's records: restsync does not load such a record into the table (its key would be
    NULL), the CDK emits it. None when they are not. ``clock``: fields filled from the read
    time, masked on both sides."""
    ours = got + [record for _, record in rejects]
    if canonical(_masked(want, clock)) != canonical(_masked(ours, clock)):
        return None
    reasons = Counter(reason for reason, _ in rejects)
    shown = "; ".join(f"{n} {reason}" for reason, n in reasons.most_common(3))
    return (
        f"set-aside: {len(got)} records the same; {len(rejects)} more airbyte-cdk emits "
        f"restsync puts in _restsync_rejects ({shown})"
    )


def _partway(ours: list[Any] | str | None, want: list[Any], errors: list[str]) -> str | None:
    """The verdict when airbyte-cdk reported an error for a stream after reading records of it
    (``want``), None when it reported none."""
    if not errors:
        return None
    cdk = errors[0].split(": ", 1)[1][:140]
    if not isinstance(ours, list):
        mine = str(ours or "failed")
        mine = mine if len(mine) <= 140 else "..." + mine[-137:]
        return f"both-failed: restsync {mine}; airbyte-cdk after {len(want)} records: {cdk}"
    return f"cdk-failed: airbyte-cdk after {len(want)} records: {cdk} (restsync read {len(ours)})"


def _failure(ours: list[Any] | str | None, want: list[Any], cdk_error: str | None) -> str | None:
    """The verdict when a side failed or did not finish, None when both read records. The
    CDK failed when it reported an error for the stream and read no record of it."""
    ours_failed = not isinstance(ours, list)
    cdk = cdk_error if cdk_error is not None and not want else None
    late = [f"restsync {ours}"] if str(ours).startswith("did not finish") else []
    late += [cdk] if cdk is not None and cdk.startswith("airbyte-cdk did not finish") else []
    if late:
        return f"unfinished: {'; '.join(late)}"
    if ours_failed and cdk is not None:
        # each side's reason in one line: the end of restsync's (dlt wraps the cause in front
        # of it), the start of the CDK's
        mine = str(ours or "failed")
        mine = mine if len(mine) <= 140 else "..." + mine[-137:]
        return f"both-failed: restsync {mine}; airbyte-cdk: {cdk[:140]}"
    if ours_failed:
        return f"different: restsync {ours or 'failed'} (airbyte-cdk read {len(want)} records)"
    if cdk is not None:
        return f"cdk-failed: airbyte-cdk: {cdk} (restsync read {len(ours or [])} records)"
    return None


def clock_fields(
    path: Path, config: dict[str, Any], stream: str, served: Any = None
) -> list[tuple[str, ...]]:
    """The fields a stream's AddFields fills with the time of the read (``{{ now_utc() }}``:
    giphy's uuid, finage's Datetime): the two sides read seconds apart, so these can differ.
    (A stream an API lists is planned from the listing ``served`` serves.)"""
    if served is not None:
        with serve_in_thread(served, _OPTIONS) as listing:
            plan = plan_manifest(
                path, config, streams=[stream], base_url=listing.base_url, resolve_requests=True
            )
    else:
        plan = plan_manifest(path, config, streams=[stream])
    select = plan.resources[stream].select
    return [
        step.path
        for step in getattr(select, "transformations", ())
        if isinstance(step, AddField) and re.search(r"\b(now_utc|today_utc)\(", str(step.value))
    ]


def _masked(records: list[Any], fields: Sequence[tuple[str, ...]]) -> list[Any]:
    """The records with each digit of those fields as 0: the same text apart from the clock
    (the format must still agree)."""
    masked = []
    for record in records:
        record = json.loads(json.dumps(record, default=str))
        for field in fields:
            node = record
            for key in field[:-1]:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict) and isinstance(node.get(field[-1]), str):
                node[field[-1]] = re.sub(r"\d", "0", node[field[-1]])
        masked.append(record)
    return masked


def _without_budget(path: Path, folder: Path) -> Path:
    """The manifest restsync reads: the corpus's own, or (one with an ``api_budget``) a copy
    without it, beside links to everything its folder holds (``schemas/``, ...)."""
    text = path.read_text()
    if "api_budget" not in text:
        return path
    document = yaml.safe_load(text)
    if document.pop("api_budget", None) is None:
        return path
    return _beside(path, document, folder)


def _beside(path: Path, document: dict[str, Any], folder: Path) -> Path:
    """``document`` written as ``path``'s name in ``folder`` (made here), beside links to
    everything else ``path``'s folder holds: the corpus is read-only, and a copy must still
    find the connector's ``schemas/`` and ``components.py``."""
    folder.mkdir()
    for sibling in path.parent.iterdir():
        if sibling.name != path.name:
            (folder / sibling.name).symlink_to(sibling)
    (folder / path.name).write_text(yaml.safe_dump(document, sort_keys=False))
    return folder / path.name


def _package_folder(path: Path, folder: Path) -> Path:
    """A working folder for the CDK where a JsonFileSchemaLoader's package-relative
    ``./source_x/schemas/...`` finds the connector's ``schemas/`` (the corpus copy keeps them
    beside the manifest, where restsync reads them; the CDK reads them as package data of
    ``source_x``, so the folder holds that package and goes on the CDK's PYTHONPATH)."""
    folder.mkdir(exist_ok=True)
    found = re.search(r"\./(\w+)/schemas/", path.read_text())
    if found and (path.parent / "schemas").is_dir():
        package = folder / found.group(1)
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "schemas").symlink_to(path.parent / "schemas")
    if (path.parent / "components.py").is_file():
        # the connector's own Python, importable as ``components`` (the CDK's fallback for
        # ``source_declarative_manifest.components``): a stream restsync runs although the
        # manifest names a custom class (gnews' backoff) is compared, not failed by the CDK
        (folder / "components.py").symlink_to(path.parent / "components.py")
    return folder


def restsync_records(
    path: Path,
    config: dict[str, Any],
    streams: list[str],
    base_url: str,
    timeout: float,
    aside: dict[str, list[Any]] | None = None,
) -> dict[str, list[Any] | str]:
    """restsync's records per stream (or why it failed), read one stream after another in a
    child process. ``timeout`` is each stream's own budget, as on the CDK's side: a stream not
    done ``timeout`` seconds after the one before it is reported as not finished, the child is
    killed (apple-search-ads' thousands of daily windows once ran for over 15 minutes) and a
    fresh one reads the streams after it. ``aside``: filled with each stream's rejects
    (``[reason, record]`` pairs, restsync's ``_restsync_rejects`` rows) when given."""
    results: dict[str, list[Any] | str] = {}
    pending = list(streams)
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder:
        # each round reads to the end or gives up one stream: at most one round a stream
        for round_number in range(len(streams)):
            if not pending:
                break
            out = Path(folder) / f"records-{round_number}.jsonl"
            receiver, sender = context.Pipe(duplex=False)
            child = context.Process(
                target=_read_streams,
                args=(path, config, pending, base_url, out, sender, aside is not None),
            )
            child.start()
            sender.close()  # the child holds the only sender: its exit ends the pipe
            stopped = not _follow(receiver, timeout)
            receiver.close()
            if stopped:
                child.kill()
            child.join()
            for line in out.read_text().splitlines() if out.exists() else []:
                done = json.loads(line)
                results[done["stream"]] = done["result"]
                if aside is not None:
                    aside[done["stream"]] = done.get("rejected", [])
            pending = [s for s in pending if s not in results]
            if pending:
                why = (
                    f"did not finish within {timeout:.0f} s"
                    if stopped
                    else f"failed: its process ended with exit code {child.exitcode}"
                )
                results[pending.pop(0)] = why
    return {stream: results[stream] for stream in streams}


def _follow(receiver: Any, timeout: float) -> bool:
    """Wait on the child's messages ("started", then "stream done"), each within ``timeout``
    seconds of the one before; False when one does not come in time, True when the child has
    closed the pipe."""
    while receiver.poll(timeout):
        try:
            receiver.recv()
        except EOFError:
            return True
    return False


def _read_streams(
    path: Path,
    config: dict[str, Any],
    streams: list[str],
    base_url: str,
    out: Path,
    done: Any,
    aside: bool = False,
) -> None:
    """The child's work: each stream read on its own, one JSON line per finished stream, and
    its name sent to the parent (and first an empty one: the child's start, its imports under
    load, is not the first stream's time). ``aside``: the stream's rows of the rejects table
    read with it, as ``rejected``."""
    # nothing but the simulator: a host the manifest still names fails the stream, named
    loopback_only()
    done.send("")
    for stream in streams:
        result: list[Any] | str
        rejected: list[Any] = []
        try:
            source = airbyte_source(path, config, streams=[stream], base_url=base_url)
            if aside:
                items = list(source.with_resources(stream, REJECTS_TABLE))
                # (rows of a hidden parent's rejects too: neither the stream's records nor
                # its set-aside ones)
                rejected = [
                    [r["reason"], json.loads(r["record"])]
                    for r in items
                    if _reject_row(r) and r["resource"] == stream
                ]
                result = [dict(r) for r in items if not _reject_row(r)]
            else:
                result = [dict(r) for r in source.resources[stream]]
        except Exception as exc:  # noqa: BLE001 - a failed read is a verdict, not a crash
            result = f"failed: {type(exc).__name__}: {exc}"
        line = json.dumps({"stream": stream, "result": result, "rejected": rejected}, default=str)
        with out.open("a") as handle:
            handle.write(line + "\n")
        done.send(stream)


def _reject_row(item: Any) -> bool:
    """Whether an item of a source's iteration is a row of its rejects table."""
    return isinstance(item, dict) and set(item) == _REJECT_COLUMNS


_REJECT_COLUMNS = {"resource", "reason", "record", "rejected_at"}


def _difference(want: list[Any], got: list[Any]) -> str:
    """How two record lists differ: counts, and the first record of each side that the other
    side lacks, key by key."""
    only_cdk = sorted(set(canonical(want)) - set(canonical(got)))
    only_ours = sorted(set(canonical(got)) - set(canonical(want)))
    first = ""
    if only_cdk and only_ours:
        first = _key_difference(json.loads(only_cdk[0]), json.loads(only_ours[0]))
    return f"different: {len(want)} cdk / {len(got)} restsync records; {first}"


def _key_difference(cdk: dict[str, Any], ours: dict[str, Any]) -> str:
    keys = sorted(
        k for k in set(cdk) | set(ours) if cdk.get(k, "<absent>") != ours.get(k, "<absent>")
    )
    return "; ".join(
        f"{k}: cdk {cdk.get(k, '<absent>')!r:.60} restsync {ours.get(k, '<absent>')!r:.60}"
        for k in keys[:3]
    )


def run_manifest(
    path: Path, timeout: float, listed_cap: int = LISTED_CAP, perturb: int | None = None
) -> dict[str, str]:
    document = yaml.safe_load(path.read_text())
    config = {**_PLACEHOLDERS, **placeholder_config(document, path.parent)}
    try:
        problems, _ = translate(path, config)
        names = stream_names(path, config)
    except ConfigError as exc:
        return {"*": f"rejected: {exc}"}
    verdicts = {s: f"rejected: {problems[s]}" for s in names if s in problems}
    ok, limited = servable(path, config, [s for s in names if s not in problems])
    verdicts.update({s: f"simulator-limited: {why}" for s, why in limited.items()})
    alone = {stream for stream in ok if multiplies(path, config, stream)}
    for group in rounds(path, config, ok, alone):
        smaller = group[0] in alone  # such a stream is always a round of its own
        verdicts.update(
            compare(
                path,
                config,
                group,
                timeout,
                options=_SMALL if smaller else _OPTIONS,
                perturb=perturb,
            )
        )
    # a dynamic_streams entry check cannot resolve: rejected with its reason; one an API lists
    # its streams for: each such entry on its own (its listing served as `restsync simulate`
    # does, its streams compared, at most ``listed_cap`` of them), or simulator-limited with
    # the reason; one entry's streams or failure never stand for another's
    with tempfile.TemporaryDirectory() as folder:
        for number, (where, reason) in enumerate(skipped_streams(path, config).items()):
            if "is resolved at run time" not in reason:
                verdicts[where] = f"rejected: {reason}"
                continue
            entry = _entry_manifest(path, where, Path(folder) / f"entry-{number}")
            listed, why = _listed_streams(entry, config, names)
            if listed is None:
                verdicts[where] = f"simulator-limited: {why or reason}"
                continue
            served, resolved = listed
            compared = compare(entry, config, resolved[:listed_cap], timeout, served=served)
            verdicts.update(compared)
            if len(resolved) > listed_cap:
                verdicts[where] = (
                    f"{connector_verdict(compared)}: the served listing resolves "
                    f"{len(resolved)} streams; the first {listed_cap} (by name) compared, the "
                    f"other {len(resolved) - listed_cap} not read (the harness's cap on the "
                    "streams an entry lists: --listed-cap)"
                )
    return {s: verdicts[s] for s in names if s in verdicts} | verdicts


def _entry_manifest(path: Path, where: str, folder: Path) -> Path:
    """A copy of the manifest whose only API-listed ``dynamic_streams`` entry is the one at
    ``where`` (``dynamic_streams[2] (template 'x')``), beside links to what its folder holds:
    served and read on its own, that entry's listing is not mixed with the others' (nor is
    a listing the simulator cannot serve theirs)."""
    document = yaml.safe_load(path.read_text())
    found = re.match(r"dynamic_streams\[(\d+)\]", where)
    entries = document.get("dynamic_streams")
    if found is None or not isinstance(entries, list):
        return path
    keep = int(found.group(1))
    document["dynamic_streams"] = [
        entry for index, entry in enumerate(entries) if index == keep or not _api_lists(entry)
    ]
    return _beside(path, document, folder)


def _listed_streams(
    path: Path, config: dict[str, Any], names: list[str]
) -> tuple[tuple[Any, list[str]] | None, str]:
    """The plan that serves the listings of the manifest's dynamic_streams an API lists (for
    the harness's seed, the same in both steps: the listing served here resolves the same
    streams the simulator then serves) and the streams they resolve to; else None and why."""
    try:
        served = served_manifest(path, config, options=_OPTIONS)
    except (SimulatorError, ConfigError) as exc:
        return None, str(exc)
    except Exception as exc:  # a bug in the simulator: named, the run goes on
        return None, f"the simulator failed: {type(exc).__name__}: {exc}"[:300]
    listed = sorted(n for n in served.resources if n not in names and not n.startswith("_"))
    if not listed:
        return None, "the served listing resolves no stream"
    return (served, listed), ""


def connector_verdict(verdicts: dict[str, str]) -> str:
    """A connector's category: its streams' worst, in the order the module docstring gives."""
    kinds = {v.split(":")[0].split(" ")[0] for v in verdicts.values()}
    for kind in _WORST_FIRST:
        if kind in kinds:
            return kind
    return "identical"


_WORST_FIRST = (
    "rejected",
    "different",
    "unfinished",
    "cdk-failed",
    "both-failed",
    "simulator-limited",
    "set-aside",
)


def _totals(counts: Counter[str]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))


def main(folder: str, *args: str) -> int:
    if not REFERENCE_PYTHON.exists():
        print("no reference environment: run 'make airbyte-reference' first")
        return 2
    parser = argparse.ArgumentParser(prog="airbyte_corpus_diff.py")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--listed-cap", type=int, default=LISTED_CAP)
    parser.add_argument("--perturb", type=int, default=None, metavar="SEED")
    options = parser.parse_args(args)
    timeout, cap, perturb = options.timeout, options.listed_cap, options.perturb
    connectors: Counter[str] = Counter()
    streams: Counter[str] = Counter()
    for path in manifest_paths(folder):
        verdicts = run_manifest(path, timeout, cap, perturb)
        verdict = connector_verdict(verdicts)
        connectors[verdict] += 1
        print(f"{connector_name(path):40} {verdict}")
        for stream, text in verdicts.items():
            streams[connector_verdict({stream: text})] += 1
            print(f"    {stream:36} {text}")
    total = sum(connectors.values())
    print(f"connectors ({total}): {_totals(connectors)}")
    print(f"streams ({sum(streams.values())}): {_totals(streams)}")
    return 0


if __name__ == "__main__":
    # the harness itself too (a listing resolved, a clock field planned): only the loopback;
    # not in main(), which tests call in a process of theirs
    loopback_only()
    sys.exit(main(*sys.argv[1:]))
