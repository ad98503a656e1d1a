"""Block Kit for every message, modal and view; the action ids and typed payloads they
carry; reading forms; text (escape, cut, dates). The only place Slack markup is made."""
