"""The booking timer's five endpoints, built on a blueprint: staff get them at
``/admin/bookings/<id>/time`` (``tenantapp.timetracking.routes``) and workers at
``/worker/jobs/<id>/time`` (``tenantapp.portal``, which adds its "is this my job" check).

A module of its own, not part of ``routes``: a feature's routes are registered by the app only,
and the portal mounts these endpoints on its blueprint."""

from collections.abc import Callable

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import problems
from tenantapp.timetracking import schemas, service

# (path suffix, view name, timer action, docstring) of the four POST transitions.
TRANSITIONS = (
    ("start", "StartTime", service.start, "NOT_STARTED → RUNNING (a no-op while RUNNING)."),
    ("pause", "PauseTime", service.pause, "RUNNING → PAUSED."),
    ("resume", "ResumeTime", service.resume, "PAUSED → RUNNING."),
)


def _no_check(_booking_id: int) -> None:
    return None


def add_timer_routes(
    bp: Blueprint,
    path: str,
    guard: Callable,
    *,
    get_doc: str,
    actor: Callable[[dict], service.Actor],
    staff_body: bool,
    check: Callable[[int], object] = _no_check,
) -> None:
    """Register GET ``path`` and POST ``path``/start|pause|resume|finish on ``bp``.

    ``guard`` authorises each call; ``check(booking_id)`` runs before the timer is read or
    changed; ``actor(body)`` says whose timer a POST runs. ``staff_body``: the POSTs take
    ``worker_id`` in the body (staff act for a crew member). ``get_doc`` documents the GET.
    """

    def get(self, booking_id):
        check(booking_id)
        return service.summary(booking_id)

    get.__doc__ = get_doc
    _route(bp, path, "Time", get=guard(bp.response(200, schemas.TimeOut)(get)))

    body = schemas.TimerActorIn if staff_body else None
    for suffix, name, action, doc in TRANSITIONS:
        view = _transition(bp, guard, check, action, doc, actor, body)
        _route(bp, f"{path}/{suffix}", name, post=view)

    @guard
    @bp.doc(responses=problems("409"))
    @bp.arguments(schemas.StaffFinishIn if staff_body else schemas.FinishIn)
    @bp.response(200, schemas.TimeOut)
    def finish(self, data, booking_id):
        """RUNNING/PAUSED → FINISHED; above 1.2 × planned an ``overrun_reason`` is required
        (judged on that worker's own time)."""
        check(booking_id)
        service.finish(booking_id, data["overrun_reason"], data["note"], actor(data))
        return service.summary(booking_id)

    _route(bp, f"{path}/finish", "FinishTime", post=finish)


def _transition(bp: Blueprint, guard, check, action, doc: str, actor, body):
    if body is None:

        def post(self, booking_id):
            check(booking_id)
            action(booking_id, actor({}))
            return service.summary(booking_id)

    else:

        def post(self, data, booking_id):
            check(booking_id)
            action(booking_id, actor(data))
            return service.summary(booking_id)

        post = bp.arguments(body, required=False)(post)
    post.__doc__ = doc
    return guard(bp.doc(responses=problems("409"))(bp.response(200, schemas.TimeOut)(post)))


def _route(bp: Blueprint, rule: str, name: str, **methods) -> None:
    view = type(name, (MethodView,), methods)
    bp.route(rule, endpoint=name)(view)
