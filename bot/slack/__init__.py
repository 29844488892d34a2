"""Slack: the Block Kit renderer for platform-neutral messages, and (later) the Slack app."""
