"""dlt's rest_api as a user runs it, as a whole process: ``python bench/dlt_run.py SPEC.json``.

The spec holds the dlt config (bench/dlt_configs.py made it from restsync's plan), the DuckDB
file, dlt's pipelines folder and the loader file format. Only dlt is imported: this process is
timed from spawn to exit against the whole ``restsync run`` process (bench/_targets.py).
"""

import json
import sys

import dlt
from dlt.sources.rest_api import rest_api_source

spec = json.loads(open(sys.argv[1]).read())
pipeline = dlt.pipeline(
    pipeline_name="bench_dlt",
    destination=dlt.destinations.duckdb(spec["db"]),
    dataset_name=spec["dataset"],
    pipelines_dir=spec["pipelines_dir"],
)
kwargs = {"loader_file_format": spec["file_format"]} if spec.get("file_format") else {}
pipeline.run(rest_api_source(spec["config"], name=spec["name"]), **kwargs)
