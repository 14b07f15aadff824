"""Shared code of Legwork's Lambda functions, shipped as the `Common` layer.

Only what two or more resources need lives here: the HTTP contract of the API
(`api`, `errors`), JSON encoding and clock helpers.
"""
