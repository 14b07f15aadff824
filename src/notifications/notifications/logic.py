"""What a status change says, and whether it is sent: free of any AWS event shape.

    >>> Notifier(webhook).notify(change)   # posts {"text": "Task “Harbour run” claimed by ana."}
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from notifications.dal import Webhook
from notifications.models import StatusChange

logger = Logger(child=True)


def message(change: StatusChange) -> dict:
    """The Slack-compatible body for a change: `{"text": ...}`, one short line."""
    text = f"Task “{change.title}” {change.verb}"
    if change.new_status in ("claimed", "in_progress", "completed") and change.assignee_name:
        text += f" by {change.assignee_name}"
    elif change.new_status == "open" and change.old_status == "claimed" and change.assignee_name:
        text += f" by {change.assignee_name}"
    if change.new_status == "open" and change.old_status == "" and change.bonus:
        text += f" (bonus {change.bonus})"
    return {"text": f"{text}. [{change.task_id}]"}


class Notifier:
    """Sends each change to the webhook; raises when it cannot, so the record is retried."""

    def __init__(self, webhook: Webhook) -> None:
        self.webhook = webhook

    def notify(self, change: StatusChange | None) -> bool:
        """True if a message was posted; False when there is nothing to say or no webhook is set."""
        if change is None:
            logger.debug("record without a status change; nothing to send")
            return False
        url = self.webhook.url()
        if url is None:
            logger.info("no webhook configured; change not sent",
                        extra={"taskId": change.task_id, "status": change.new_status})
            return False
        self.webhook.post(url, message(change))
        logger.info("change sent", extra={"taskId": change.task_id, "status": change.new_status})
        return True
