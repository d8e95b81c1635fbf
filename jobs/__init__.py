"""Background jobs: queues, the job decorators, the worker, schedules, fan-out and heartbeats.

Workers run ``python -m jobs.worker``; exactly one scheduler runs ``python -m jobs.scheduler``.
Jobs find the process's ``Runtime`` through ``shared.runtime.current_runtime()`` (the worker
makes its runtime current before it forks a work horse).
"""
