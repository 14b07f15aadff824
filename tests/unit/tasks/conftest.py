"""The tasks resource's tests: the whole stack in moto (`aws_stack`), handlers called with API events."""
from tests.unit.tasks.helpers import publish, route_id, stack, task_id  # noqa: F401 - fixtures
