"""Demo data for `make dev` (local only): two receipts on the demo task in progress.

The local runtime calls `seed(stack)` once on start, inside a receipts function's worker.
Each receipt is issued as POST /tasks/{taskId}/receipts issues it (pending, with its file
record; the resource's own models and data access), then its photo, drawn here with a
known total, is put at the receipt's key: the bucket's notification runs the OCR
function, which reads the total a few seconds later, as it would in AWS. Fixed ids,
written only if absent, so a restart with PERSIST=1 leaves them as they are.
"""
from __future__ import annotations

import importlib.util
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECEIPTS = {  # name: the lines of the photo (the total is what the OCR function should read)
    "parking": ["CITY PARKING MITTE", "2h 15min  7.50", "TOTAL  EUR 7.50", "Paid by card"],
    "fuel": ["ARAL STATION 214", "Diesel 32.40 L  58.02", "Car wash  6.90", "SUBTOTAL  64.92",
             "VAT 19%  10.37", "TOTAL  €64.92", "CARD  €64.92"],
}


def _tasks_demo():
    """src/tasks/demo.py: the demo task ids come from there (one formula, one place)."""
    spec = importlib.util.spec_from_file_location("legwork_tasks_demo", ROOT / "src" / "tasks" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed(stack) -> str:
    """Issue the demo receipts and upload their photos unless present; a one-line summary."""
    if str(ROOT / "scripts") not in sys.path:  # the receipt drawings (legwork.samples)
        sys.path.append(str(ROOT / "scripts"))
    from legwork.samples import render_receipt
    from receipts.dal import ReceiptsTable
    from receipts.models import NewReceipt, new_file_item, new_receipt_item

    tasks = _tasks_demo()
    title = next(t[0] for t in tasks.TASKS if t[-1] == "in_progress")
    task_id = tasks._demo_id("task", title)
    courier_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "legwork-demo:courier1"))  # the demo user courier1
    table = ReceiptsTable(stack.name("ReceiptsTable"), stack.name("FilesTable"), resource=stack.resource("dynamodb"))
    s3 = stack.client("s3")
    written = 0
    for name, lines in RECEIPTS.items():
        receipt_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"legwork-demo:receipt:{name}"))
        if table.get(receipt_id) is not None:
            continue
        photo = render_receipt(lines)
        item = new_receipt_item(receipt_id, task_id, courier_id, NewReceipt("image/jpeg", len(photo)),
                                datetime.now(timezone.utc))
        table.put_new(item, new_file_item(item))
        s3.put_object(Bucket=stack.name("UploadsBucket"), Key=item["key"], Body=photo, ContentType="image/jpeg")
        written += 1
    return (f"{len(RECEIPTS)} receipts on '{title}' ({written} photos uploaded now; "
            "the OCR function reads them in a few seconds)")
