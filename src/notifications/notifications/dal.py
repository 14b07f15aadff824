"""The webhook: its URL from Parameter Store (cached), and one HTTP POST with a short timeout.

    >>> hook = Webhook("/legwork/dev/notifications/webhook-url")
    >>> hook.post(hook.url(), {"text": "hello"})

The parameter's value `none` (or empty) means "not configured".
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

NOT_CONFIGURED = ("", "none")


class WebhookFailed(Exception):
    """The webhook did not take the message; the stream record must be retried."""


class Webhook:
    """A Slack-compatible incoming webhook whose URL is kept in SSM Parameter Store."""

    def __init__(self, parameter_name: str, *, timeout: float = 5.0, cache_seconds: int = 300) -> None:
        self.parameter_name = parameter_name
        self.timeout = timeout
        self.cache_seconds = cache_seconds

    def url(self) -> str | None:
        """The webhook URL, or None when the parameter says `none`. Cached for `cache_seconds`."""
        # Imported here: Powertools' parameters module pulls in boto3, which only this path needs.
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_parameter(self.parameter_name, decrypt=True, max_age=self.cache_seconds)
        value = (value or "").strip()
        if value.lower() in NOT_CONFIGURED:
            return None
        if not value.startswith(("https://", "http://")):
            raise WebhookFailed(f"Parameter {self.parameter_name} must hold an http(s) URL or 'none'.")
        return value

    def post(self, url: str, body: dict) -> None:
        """POST `body` as JSON; `WebhookFailed` on any refusal, network error or timeout."""
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json", "User-Agent": "legwork-notifier"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) checked above
                status = response.status
                response.read()
        except urllib.error.HTTPError as err:
            raise WebhookFailed(f"The webhook answered {err.code} {err.reason}.") from None
        except (urllib.error.URLError, TimeoutError, OSError) as err:
            raise WebhookFailed(f"The webhook could not be reached: {err}.") from None
        if not 200 <= status < 300:
            raise WebhookFailed(f"The webhook answered {status}.")
