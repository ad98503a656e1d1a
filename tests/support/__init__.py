"""What the tests of every tier share, and the benchmarks with them; nothing here is a
test, and no test module imports another: what two of them share lives here.

- ``workspace``: the channels and people of the workspace the tests run in;
- ``servers``: a real ``redis-server``, an SMTP server, free ports;
- ``desk``: the desk in this process, serving HTTP on loopback, and what a test reads
  back from it;
- ``cli``, ``processes``, ``sandbox``: ``python -m bot`` as a command, as long-running
  processes (started, and stopped with SIGTERM then SIGKILL, in one place) and as the
  sandbox;
- ``slackreq``, ``flows``: requests signed as Slack signs them, and a person's steps;
- ``fakes``, ``fake_records``, ``services``, ``fake_slack``: the in-memory fakes of the
  ports, the services wired on them, and a Slack Web API client that records calls;
- ``hooks_standin``, ``cluster``, ``metrics``, ``once``, ``tickets``, ``waiting``:
  PagerDuty and webhook stand-ins, a Redis Cluster, reading ``/metrics``, counting
  what went out exactly once, ticket drafts, waiting for something to happen;
- ``strategies``: Hypothesis strategies for every payload Slack sends the desk;
  ``fuzz``: the harness that sends them to a running desk and checks what it did;
- ``tiers``: which tier a test file belongs to, and the markers.
"""
