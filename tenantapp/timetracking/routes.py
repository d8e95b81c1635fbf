"""The booking timer's five endpoints, served at two paths by the same code: staff at
``/admin/bookings/<id>/time`` (this blueprint) and workers at ``/worker/jobs/<id>/time``
(``tenantapp.portal``, which adds its "is this my job" check)."""

from collections.abc import Callable

from flask.views import MethodView
from flask_smorest import Blueprint

from shared.api import problems
from shared.auth.guards import staff
from tenantapp.timetracking import schemas, service

blp = Blueprint("timetracking", __name__, url_prefix="/v1", description="Time tracking")

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
    check: Callable[[int], object] = _no_check,
) -> None:
    """Register GET ``path`` and POST ``path``/start|pause|resume|finish on ``bp``.

    ``guard`` authorises each call; ``check(booking_id)`` runs before the timer is read or
    changed. ``get_doc`` documents the GET (the two audiences read it differently).
    """

    def get(self, booking_id):
        check(booking_id)
        return service.summary(booking_id)

    get.__doc__ = get_doc
    _route(bp, path, "Time", get=guard(bp.response(200, schemas.TimeOut)(get)))

    for suffix, name, action, doc in TRANSITIONS:
        _route(bp, f"{path}/{suffix}", name, post=_transition(bp, guard, check, action, doc))

    @guard
    @bp.doc(responses=problems("409"))
    @bp.arguments(schemas.FinishIn)
    @bp.response(200, schemas.TimeOut)
    def finish(self, data, booking_id):
        """RUNNING/PAUSED → FINISHED; above 1.2 × planned an ``overrun_reason`` is required."""
        check(booking_id)
        service.finish(booking_id, data["overrun_reason"], data["note"])
        return service.summary(booking_id)

    _route(bp, f"{path}/finish", "FinishTime", post=finish)


def _transition(bp: Blueprint, guard, check, action, doc: str):
    def post(self, booking_id):
        check(booking_id)
        action(booking_id)
        return service.summary(booking_id)

    post.__doc__ = doc
    return guard(bp.doc(responses=problems("409"))(bp.response(200, schemas.TimeOut)(post)))


def _route(bp: Blueprint, rule: str, name: str, **methods) -> None:
    view = type(name, (MethodView,), methods)
    bp.route(rule, endpoint=name)(view)


add_timer_routes(
    blp,
    "/admin/bookings/<int:booking_id>/time",
    staff("dispatch"),
    get_doc="The timer's state, segments and planned / effective / delta / ratio.",
)
