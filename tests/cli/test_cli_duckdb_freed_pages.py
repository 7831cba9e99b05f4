"""While ``restsync run`` holds its DuckDB file, DuckDB's allocator (the jemalloc its Python module
carries) gives the pages it frees back at once instead of keeping them for a second: an insert
of a large file then peaks lower (restsync._load._release.DuckDBFreedPages). Read from the
allocator's own statistics, through a real dlt load into the held file; once the file is closed
DuckDB keeps freed pages again, as it does for any other program."""

from __future__ import annotations

from pathlib import Path

import dlt
import duckdb
import pyarrow as pa

from restsync._load._release import _JemallocControl
from restsync.cli._duckdb_file import HeldDestination

ROWS = 200_000  # a few row groups: the insert frees the buffers of those it has written


def _freed_pages_kept() -> int:
    """The pages DuckDB's allocator has freed and still holds (jemalloc's dirty pages), read
    through the same mallctl binding restsync sets the decays with."""
    control = _JemallocControl.of_duckdb()
    assert control is not None
    assert control.write(b"epoch", 1)  # refresh jemalloc's statistics
    pages = control.read(b"stats.arenas.4096.pdirty")  # 4096: every arena
    assert pages is not None
    return pages


def _rows() -> pa.Table:
    return pa.table({"id": range(ROWS), "name": [f"name {i}" for i in range(ROWS)]})


def test_duckdb_keeps_no_freed_pages_while_the_file_is_held(tmp_path: Path) -> None:
    held = HeldDestination(tmp_path / "held.duckdb", "freed")
    try:
        pipeline = dlt.pipeline(
            pipeline_name="freed", dataset_name="ds", pipelines_dir=str(tmp_path / "pipelines")
        )
        pipeline.run(_rows(), table_name="t", **held.run_kwargs)
        kept = _freed_pages_kept()
    finally:
        held.close()
    assert kept == 0
    with duckdb.connect(str(tmp_path / "held.duckdb"), read_only=True) as db:
        assert db.sql("select count(*) from ds.t").fetchone() == (ROWS,)


def test_duckdb_keeps_freed_pages_again_once_the_file_is_closed(tmp_path: Path) -> None:
    HeldDestination(tmp_path / "before.duckdb", "before").close()
    with duckdb.connect(str(tmp_path / "after.duckdb")) as db:
        db.register("rows", _rows())
        db.execute("create table t as select * from rows")
        kept = _freed_pages_kept()
    assert kept > 0
