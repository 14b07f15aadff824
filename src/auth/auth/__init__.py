"""Legwork's users and tokens: login, the Lambda authorizer, user administration.

`handlers` (thin Lambda entry points) → `logic` (the rules) → `dal` (DynamoDB);
`models` validates input, `passwords` hashes with scrypt, `tokens` signs and checks JWTs.
"""
