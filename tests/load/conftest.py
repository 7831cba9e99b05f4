import pytest

# the layout comparison's asserts report what differs, as a test's own asserts do
pytest.register_assert_rewrite("tests.load.layout")
