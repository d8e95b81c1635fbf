"""The one error of backups and restores (a ``PgToolError``, so the CLI reports both alike)."""

from controlplane.pgtools import PgToolError


class BackupError(PgToolError):
    """A backup or restore could not be done; nothing was changed by the failed step."""
