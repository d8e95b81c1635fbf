"""The operations on one job that both staff and the worker portal expose under their own prefix.

Staff reach them at ``/admin/bookings/{id}/…``, a worker at ``/worker/jobs/{id}/…``; each routes
module adds its prefix and its own operations when it builds its OpenAPI links (tests/fuzz follows
them). One list, so a new job sub-resource is linked from both sides.
"""

JOB_OPERATIONS: dict[str, tuple[str, str]] = {
    "InitChecklist": ("post", "/checklist/init"),
    "GetChecklist": ("get", "/checklist"),
    "CompleteChecklist": ("post", "/checklist/complete"),
    "GetTime": ("get", "/time"),
    "StartTime": ("post", "/time/start"),
    "PauseTime": ("post", "/time/pause"),
    "ResumeTime": ("post", "/time/resume"),
    "FinishTime": ("post", "/time/finish"),
    "ListPhotos": ("get", "/photos"),
}
