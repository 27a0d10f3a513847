"""Tests of the aimmo-gt command (a package, so its conftest does not shadow tests/conftest.py)."""
