"""Fixtures every test package may use: real databases (`tests.databases`), real Redis."""

pytest_plugins = ["tests.databases", "tests.services"]
