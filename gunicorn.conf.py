"""Gunicorn hooks for every way the web process starts (Dockerfile, docker-compose.yml, ``make run``,
all with ``--config gunicorn.conf.py``; gunicorn also reads it from the working directory by
default). Command-line flags carry the rest of the setup; docs/operations.md explains both.

Prometheus multiprocess mode (``PROMETHEUS_MULTIPROC_DIR`` set): the master empties the directory
before the first worker starts, since files left by an earlier run would resurrect old counters,
and drops a dead worker's live gauges when it exits. Without the variable both do nothing.
"""

from shared.metrics import gunicorn_child_exit, gunicorn_on_starting

on_starting = gunicorn_on_starting
child_exit = gunicorn_child_exit
