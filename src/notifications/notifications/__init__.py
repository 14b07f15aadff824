"""The notifications resource: task status changes posted to a Slack-compatible webhook."""
