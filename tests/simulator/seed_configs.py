"""The five seed configs as dicts, read from tests/seeds/*.py without running them.

Each seed file calls ``rest_api_source({...})`` with ``dlt.secrets[...]`` and ``dlt.config[...]``
lookups inside; those are replaced by literals and the dict is read with ``ast.literal_eval``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
SEED_NAMES = tuple(sorted(p.stem for p in SEEDS_DIR.glob("*.py")))
START_DATE = "2024-01-01T00:00:00Z"

_SECRET = re.compile(r"""dlt\.secrets\[\s*["'](\w+)["']\s*\]""")
_CONFIG = re.compile(r"""dlt\.config\[\s*["'](\w+)["']\s*\]""")


def seed_config(name: str) -> dict[str, Any]:
    """The config dict of ``tests/seeds/<name>.py``; a secret named ``x`` becomes ``"secret-x"``."""
    text = (SEEDS_DIR / f"{name}.py").read_text()
    start = text.index("rest_api_source(") + len("rest_api_source(")
    body = text[start : text.rindex(")")]
    body = _SECRET.sub(lambda m: repr(f"secret-{m.group(1)}"), body)
    body = _CONFIG.sub(repr(START_DATE), body)
    config = ast.literal_eval(body)
    assert isinstance(config, dict)
    return config
