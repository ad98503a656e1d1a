"""The effect handlers: one typed job -> one Slack post, update or DM, one email.

Handlers are registered by job kind (``registry``); the worker (``worker``) leases due
jobs from the queue and runs each with its handler, alone: one that fails is retried or
dead-lettered on its own, and a permanent failure is shown in the ticket's triage thread.
"""
