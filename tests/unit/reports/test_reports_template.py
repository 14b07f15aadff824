"""What the report worker may read, from the merged template: receipts through their index only."""
from __future__ import annotations


def test_the_report_worker_reads_receipts_through_the_by_task_index_only(merged_template) -> None:
    worker = merged_template["Resources"]["ReportsWorkerFunction"]["Properties"]
    assert worker["Environment"]["Variables"]["RECEIPTS_TABLE"] == {"Ref": "ReceiptsTable"}
    statements = worker["Policies"][0]["Statement"]
    on_receipts = [(s["Action"], r) for s in statements
                   for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
                   if "ReceiptsTable" in str(r)]
    assert on_receipts == [(["dynamodb:Query"], {"Fn::Sub": "${ReceiptsTable.Arn}/index/byTask"})]
