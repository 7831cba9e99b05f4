"""``restsync.connectors`` is a public package; pin its surface so changes to it are deliberate."""

from restsync import connectors


def test_exported_members() -> None:
    assert sorted(connectors.__all__) == [
        "ConfigRef",
        "ConnectorSpec",
        "SecretRef",
        "connector_config",
        "connector_fields",
        "connector_source",
        "load_spec",
        "load_yaml_config",
        "names",
        "resolve_refs",
    ]
    for name in connectors.__all__:
        assert getattr(connectors, name) is not None
