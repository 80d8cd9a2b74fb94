"""Code shared by the tests: test doubles, fake servers, builders. Fixtures live in conftest.py."""
