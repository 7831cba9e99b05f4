"""restsync's benchmark against dlt's rest_api (issue 5); run it with ``python -m bench``.

Not part of the test suite. Modules: ``_workloads`` (the cases), ``dlt_configs`` (restsync plan ->
dlt config), ``_harness`` (simulator + one tool in a child process), ``_child`` (the child),
``_bounds`` (request counts and the lower bound), ``_report`` (tables and docs/benchmarks.md).
``http_clients`` is a separate script (aiohttp against httpx), not part of ``python -m bench``.
"""
