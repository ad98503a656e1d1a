"""The use cases: commands that change tickets and queries that return rows.

No Block Kit and no Slack markup here; a refusal is a ``TicketError`` whose text is
fit to show a person. Services reach Redis and Slack's directory through the ports in
``ports``, so their tests run on in-memory fakes.
"""
