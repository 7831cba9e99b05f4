"""Generate docs/connectors/<name>.md and its README.md index from the bundled connector specs.

    python scripts/gen_connector_docs.py                 # into docs/connectors
    python scripts/gen_connector_docs.py /tmp/out        # anywhere else

Run it after editing a spec in src/restsync/connectors/specs/; tests/connectors fails while the
checked-in pages differ from what this writes.
"""

from pathlib import Path

from restsync.connectors._docs import main

if __name__ == "__main__":
    raise SystemExit(main(default=Path(__file__).resolve().parents[1] / "docs" / "connectors"))
