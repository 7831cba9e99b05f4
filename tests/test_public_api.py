"""The package root is the public surface; pin it so changes to it are deliberate."""

import restsync


def test_exported_members() -> None:
    assert sorted(restsync.__all__) == [
        "ConfigError",
        "ExtractionError",
        "HTTPStatusError",
        "PaginationLoopError",
        "PrimaryKeyError",
        "ResourcesFailed",
        "ResponseFormatError",
        "RestSyncError",
        "SyncFailed",
        "__version__",
        "airbyte_source",
        "overrides",
        "plan_config",
        "rest_api_source",
        "runtime_of",
        "sync",
    ]
    for name in restsync.__all__:
        assert getattr(restsync, name) is not None


def test_rest_api_source_returns_a_dlt_source() -> None:
    from dlt.extract.source import DltSource

    source = restsync.rest_api_source(
        {"client": {"base_url": "https://api.example.com"}, "resources": ["users", "orders"]}
    )
    assert isinstance(source, DltSource)
    assert set(source.resources) == {"users", "orders", "_restsync_rejects"}
