"""``python -m bench.templates``: thread CPU per template call, the fast paths against the sandbox.

    .venv/bin/python -m bench.templates [--calls 3000] [--rounds 5]

The fan-out's per-request templates (bench/manifests/fanout.yaml) through ``Interpolator``: as
they run now (a plain lookup read without Jinja, a text that cannot be a literal not parsed),
and with both fast paths switched off (every template in the sandbox, every text parsed, as
before session 13). Medians over the rounds of the thread CPU per call, in microseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any
from unittest import mock

from restsync.airbyte import _jinja
from restsync.airbyte._jinja import Interpolator, Slice

_PAGE = {"response": {"data": [], "next": "2"}, "headers": {}, "last_record": None}
_CHILD = {"stream_slice": Slice({"project_id": 7})}
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("text", "{{ config['base_url'] }}", _CHILD),
    ("text", "/projects/{{ stream_partition.project_id }}/tasks", _CHILD),
    ("eval", "{{ not response.next }}", _PAGE),
    ("string", "{{ response.next }}", _PAGE),
]


def _round(calls: int) -> list[float]:
    ai = Interpolator({"base_url": "http://127.0.0.1:1", "token": "t"})
    spent = []
    for how, template, scope in CASES:
        call = getattr(ai, how)
        call(template, **scope)
        started = time.thread_time()
        for _ in range(calls):
            call(template, **scope)
        spent.append((time.thread_time() - started) / calls * 1e6)
    return spent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    fast = [_round(args.calls) for _ in range(args.rounds)]
    # every template in the sandbox, every rendered text through ast.literal_eval
    off = {"_lookup_plan": lambda source: None, "_literal": _jinja._parsed_literal}
    with mock.patch.multiple(_jinja, **off):
        sandbox = [_round(args.calls) for _ in range(args.rounds)]
    print("| call | sandbox µs | now µs |")
    print("|---|---|---|")
    for i, (how, template, _) in enumerate(CASES):
        before = statistics.median(r[i] for r in sandbox)
        now = statistics.median(r[i] for r in fast)
        print(f"| `{how}` `{template}` | {before:.1f} | {now:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
