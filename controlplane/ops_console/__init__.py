"""The operator console at ``/ops/`` (SPEC §4.5): server-rendered pages over the operator services,
and the hourly snapshot job whose time series its charts draw."""
