"""airbyte-cdk's own verdict on configs: accepted or refused by its check against the spec.

Runs inside the reference environment (``make airbyte-reference`` creates ``.venv-airbyte``);
restsync never imports airbyte-cdk. Usage:

    .venv-airbyte/bin/python scripts/airbyte_spec_check.py MANIFEST.yaml < configs.jsonl

Each stdin line is one config (a JSON object); for each, one stdout line
``{"accepted": true}`` or ``{"accepted": false, "error": "<the CDK's error>"}``. The config goes
the way ``AirbyteEntrypoint.run`` takes it for ``check``/``read``: the source is built with it
(the spec's migrations and transformations applied), ``configure`` gives the config the
source holds, and ``validate_connection`` checks it against the spec. The connection check
itself (requests to the API) is not made.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.sources.declarative.concurrent_declarative_source import (
    ConcurrentDeclarativeSource,
)


def verdict(manifest: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    # a migration prints its control message on stdout: kept off this script's answers
    with contextlib.redirect_stdout(sys.stderr), tempfile.TemporaryDirectory() as folder:
        try:
            source = ConcurrentDeclarativeSource(source_config=manifest, config=config)
            spec = source.spec(logging.getLogger("airbyte"))
            configured = source.configure(config, folder)
            AirbyteEntrypoint.validate_connection(spec, configured)
            # the spec's config_normalization_rules.validations run when streams are built
            source.streams(configured)
        except Exception as exc:  # noqa: BLE001 - any failure is the CDK refusing
            return {"accepted": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
    return {"accepted": True}


def main(manifest_path: str) -> None:
    manifest = yaml.safe_load(Path(manifest_path).read_text())
    # the answers on a copy of stdout, and stdout itself on stderr: the CDK's "airbyte" logger
    # writes to the stdout it found (a validation's "Validation skipped" line), not sys.stdout
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(verdict(manifest, json.loads(line))), file=answers, flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
