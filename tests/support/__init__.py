"""Helpers shared by test suites (event builders, a Lambda context)."""
