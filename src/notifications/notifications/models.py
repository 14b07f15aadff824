"""A task's status change, read from a tasks-table stream record's images.

    >>> StatusChange.from_images("MODIFY", {"status": "open", ...}, {"status": "claimed", ...}).new_status
    'claimed'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VERBS = {
    ("", "open"): "published",
    ("open", "claimed"): "claimed",
    ("claimed", "open"): "released",
    ("claimed", "in_progress"): "started",
    ("in_progress", "completed"): "completed",
    ("open", "cancelled"): "cancelled",
    ("claimed", "cancelled"): "cancelled",
}


@dataclass(frozen=True)
class StatusChange:
    """What changed: the task, its status before ('' for a new task) and after, and who holds it."""

    task_id: str
    title: str
    old_status: str
    new_status: str
    assignee_name: str
    bonus: str

    @classmethod
    def from_images(cls, event_name: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> "StatusChange | None":
        """The change a record describes, or None when the status did not change (or the task was deleted).

        The event source's filters already pass only status changes; this check keeps a
        widened filter from turning into duplicate messages.
        """
        # Images are the table's items; anything else is no status change (never a crash).
        old = old if isinstance(old, dict) else None
        if event_name not in ("INSERT", "MODIFY") or not isinstance(new, dict) or not new.get("status"):
            return None
        old_status = str((old or {}).get("status") or "") if event_name == "MODIFY" else ""
        new_status = str(new["status"])
        if old_status == new_status:
            return None
        bonus = new.get("bonus") if isinstance(new.get("bonus"), dict) else {}
        return cls(
            task_id=str(new.get("taskId", "")),
            title=str(new.get("title", "")),
            old_status=old_status,
            new_status=new_status,
            # A release removes the assignee from the new image; the old one still has it.
            assignee_name=str(new.get("assigneeName") or (old or {}).get("assigneeName") or ""),
            bonus=f"{bonus.get('amount')} {bonus.get('currency')}" if bonus.get("amount") else "",
        )

    @property
    def verb(self) -> str:
        return VERBS.get((self.old_status, self.new_status), f"moved from {self.old_status} to {self.new_status}")
