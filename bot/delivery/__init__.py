"""The effect handlers: one typed job -> one Slack post, update or DM, one email.

Each module gives its handlers by job kind (``handlers(...)``) and what a job's failing
for good leads to (``CONSEQUENCES``); the composition root registers them (``registry``).
The worker (``worker``) leases due jobs from the queue and runs each with its handler,
alone: one that fails is retried or dead-lettered on its own, and a permanent failure is
shown in the ticket's triage thread.
"""
