"""The receipts resource's tests: the whole stack in moto, handlers called with real events."""
from tests.unit.tasks.helpers import publish, route_id, stack, task_id  # noqa: F401 - fixtures
from tests.unit.receipts.helpers import running_task  # noqa: F401 - fixture

