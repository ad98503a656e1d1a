"""Support desk for shared Slack channels."""
