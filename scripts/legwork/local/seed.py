"""Demo data on start, so a new user sees a working system (local only).

Two pluggable sources, both run inside a function's worker (its code, layers and
environment), never in the runtime's own process:

- **demo users**: when a function's environment names a `USERS_TABLE` and its code has
  a `hash_password(password) -> str` (in `<package>/passwords.py` or `<package>/logic.py`),
  the users `admin`, `manager`, `courier1`…`courier5` are written with password
  `legwork-demo` (existing users are left alone);
- **resource seeders**: every function code folder with a `demo.py` defining
  `seed(stack)` has it called once; `stack.name(logical_id)` gives what `!Ref` gives and
  `stack.client(service)` a boto3 client on the local moto.
"""
from __future__ import annotations

import re
from pathlib import Path

from legwork.local.logs import log
from legwork.local.provision import PROVISIONED_TYPES, Stack
from legwork.local.workers import Lambda

DEMO_PASSWORD = "legwork-demo"
DEMO_USERS = [("admin", "admin"), ("manager", "manager")] + [(f"courier{i}", "courier") for i in range(1, 6)]
RUNNER = Path(__file__).with_name("demo_runner.py")


def find_hasher(code_dir: Path) -> str | None:
    """`module:hash_password` inside a function's code folder, or None."""
    for candidate in sorted(code_dir.glob("*/passwords.py")) + sorted(code_dir.glob("*/logic.py")):
        if re.search(r"^def hash_password\(", candidate.read_text(encoding="utf-8"), re.MULTILINE):
            module = ".".join(candidate.relative_to(code_dir).with_suffix("").parts)
            return f"{module}:hash_password"
    return None


def snapshot(stack: Stack) -> dict:
    """The stack's names, as a JSON document a worker can rebuild a `DemoStack` from."""
    names = {}
    for lid, resource in stack.resources.items():
        if resource.get("Type") in PROVISIONED_TYPES and stack.is_active(lid):
            names[lid] = stack.name(lid)
    return {"stage": stack.stage, "region": stack.region, "names": names}


def seed(stack: Stack, lam: Lambda) -> list[str]:
    """Run every demo-data source; returns the lines to print (users and passwords)."""
    lines: list[str] = []
    users_done: set[str] = set()
    for lid, spec in lam.specs.items():
        table = spec.env.get("USERS_TABLE")
        if not table or table in users_done:
            continue
        hasher = find_hasher(spec.code_dir)
        if hasher is None:
            continue
        users_done.add(table)
        try:
            created = lam.call_file(lid, RUNNER, "seed_users", [table, [list(u) for u in DEMO_USERS], DEMO_PASSWORD, hasher])
        except RuntimeError as exc:
            log("demo", f"demo users not created: {exc}")
            continue
        state = f"created {len(created)}" if created else "already there"
        lines.append(f"demo users in {table} ({state}), password '{DEMO_PASSWORD}':")
        lines.append("  " + ", ".join(f"{name} ({role})" for name, role in DEMO_USERS))
    seen_dirs: set[Path] = set()
    for lid, spec in lam.specs.items():
        demo = spec.code_dir / "demo.py"
        if spec.code_dir in seen_dirs or not demo.is_file():
            continue
        seen_dirs.add(spec.code_dir)
        try:
            result = lam.call_file(lid, RUNNER, "run_seed", [str(demo), snapshot(stack)])
        except RuntimeError as exc:
            log("demo", f"{demo}: {exc}")
            continue
        lines.append(f"demo data from {demo.relative_to(demo.parents[2]) if len(demo.parents) > 2 else demo}"
                     + (f": {result}" if result else ""))
    return lines
