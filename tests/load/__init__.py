import pytest

# the layout comparison's asserts report what differs, as a test's own asserts do (registered
# here, in the package, so it happens before tests/engine imports the module too)
pytest.register_assert_rewrite("tests.load.layout")
