"""`python -m legwork admin`: create the first admin user of a deployed stage.

    $ ADMIN_PASSWORD=... python -m legwork admin --region cn-north-1 --stage prod --username root
    Created admin 'root' (userId 6f1c…) in legwork-prod-UsersTable-1A2B3C (stack legwork-prod, cn-north-1).

The users table is found from the CloudFormation stack `legwork-<stage>` (its
`UsersTableName` output, else its `UsersTable` resource); `--table` names it directly.
The password comes from ADMIN_PASSWORD or is asked twice. The write is conditional: an
existing user is never overwritten. The user is built and hashed by the auth resource's
own code (src/auth/auth), so the admin looks exactly like one made by POST /users.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import datetime, timezone
from typing import Any

from legwork import ROOT

# The auth resource's package and the Common layer, as Lambda sees them.
for _path in (ROOT / "layers" / "common", ROOT / "src" / "auth"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from auth.dal import UserExists, UsersTable  # noqa: E402
from auth.models import check_password, check_username, new_user_item, public_user  # noqa: E402
from auth.passwords import hash_password  # noqa: E402
from legwork_common.errors import ValidationFailed  # noqa: E402

OUTPUT_KEY = "UsersTableName"
LOGICAL_ID = "UsersTable"


class AdminError(Exception):
    """Something the operator must fix; the message says what."""


def stack_name(stage: str) -> str:
    return f"legwork-{stage}"


def find_users_table(cloudformation: Any, stack: str) -> str:
    """The physical name of the stack's users table: its output, else its resource."""
    from botocore.exceptions import ClientError

    try:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as exc:
        raise AdminError(
            f"No stack {stack!r} here ({exc.response['Error'].get('Message', exc)}): deploy the stage first"
            " (make deploy REGION=... STAGE=...), check --region, or name the table with --table."
        ) from None
    for output in described.get("Outputs") or []:
        if output.get("OutputKey") == OUTPUT_KEY:
            return output["OutputValue"]
    try:
        detail = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=LOGICAL_ID)
    except ClientError:
        raise AdminError(f"Stack {stack!r} has no {OUTPUT_KEY} output and no {LOGICAL_ID} resource.") from None
    return detail["StackResourceDetail"]["PhysicalResourceId"]


def create_admin(users: UsersTable, username: str, password: str, *, now: datetime | None = None) -> dict:
    """Store an admin with a hashed password (conditional put); its public record."""
    try:
        check_username(username)
        check_password(password)
    except ValidationFailed as exc:
        raise AdminError(exc.message) from None
    item = new_user_item(username, hash_password(password), "admin", now or datetime.now(timezone.utc))
    try:
        users.put_new(item)
    except UserExists:
        raise AdminError(f"A user {username!r} already exists; it was left unchanged. Choose another username.") from None
    return public_user(item)


def read_password(env: dict[str, str] | None = None, ask: Any = getpass.getpass) -> str:
    """ADMIN_PASSWORD if set, otherwise asked twice without echo."""
    env = os.environ if env is None else env
    if env.get("ADMIN_PASSWORD"):
        return env["ADMIN_PASSWORD"]
    first = ask("Password for the new admin (10 to 256 characters): ")
    if ask("Again: ") != first:
        raise AdminError("The two passwords differ; nothing was written.")
    return first


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m legwork admin", description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", required=True, help="AWS region of the stage, e.g. cn-north-1")
    parser.add_argument("--stage", default="dev", help="stage name; the stack is legwork-<stage>")
    parser.add_argument("--username", required=True, help="the admin's username (3-32 of a-z 0-9 _ . -)")
    parser.add_argument("--table", help="the users table's name (skips the CloudFormation lookup)")
    args = parser.parse_args(argv)

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    session = boto3.session.Session(region_name=args.region)
    stack = stack_name(args.stage)
    try:
        table = args.table or find_users_table(session.client("cloudformation"), stack)
        password = read_password()
        user = create_admin(UsersTable(table, resource=session.resource("dynamodb")), args.username, password)
    except AdminError as exc:
        print(f"admin: {exc}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as exc:
        print(f"admin: AWS refused ({exc}); check credentials, --region and the table. Nothing was written.",
              file=sys.stderr)
        return 1
    print(f"Created admin {user['username']!r} (userId {user['userId']}) in {table} (stack {stack}, {args.region}).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
