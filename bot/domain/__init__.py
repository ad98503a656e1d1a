"""The domain: tickets, service levels, the staff rule and the typed effects. Pure: no
Slack, no Redis, no clock (every time is an argument)."""
