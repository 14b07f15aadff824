"""The tracking resource: GPS positions buffered through SQS, the recorded track, the live map.

`handlers` (Lambda entry points) → `logic` (rules) → `dal` (DynamoDB, SQS); `models`
holds the points as the API, the queue and the table see them.
"""
