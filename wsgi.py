"""The one WSGI entry: ``gunicorn 'wsgi:create_wsgi()'``."""

from shared.dispatch import Dispatcher
from shared.runtime import Runtime
from shared.settings import Settings


def create_wsgi(settings: Settings | None = None, runtime: Runtime | None = None) -> Dispatcher:
    from controlplane.app import create_app as create_control_plane
    from controlplane.rqdash import create_rq_app
    from tenantapp.app import create_app as create_tenant_app

    runtime = runtime or Runtime(settings or Settings.from_env())
    return Dispatcher(
        create_control_plane(runtime=runtime),
        create_tenant_app(runtime=runtime),
        rq_app=create_rq_app(runtime),
        base_domain=runtime.settings.tenant_base_domain,
    )
