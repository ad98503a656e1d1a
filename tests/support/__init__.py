"""What the tests of every tier share, and the benchmarks with them: the workspace's
names (``workspace``), the servers a test starts on loopback (``servers``), the desk in
this process (``desk``) and as a real process (``cli``), signed requests and a person's
steps (``slackreq``, ``flows``), the in-memory fakes (``fakes``, ``fake_records``),
stand-ins for PagerDuty and webhook receivers (``hooks_standin``), a Redis Cluster
(``cluster``), the exactly-once counting (``once``) and Hypothesis strategies for every
payload (``strategies``).

Nothing here is a test, and no test imports another test module: what two test modules
share lives here."""
