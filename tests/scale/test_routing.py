"""Tenant selection costs no SQL: a request to one tenant after another issues the same statements
as a request to the same tenant again, none of them ``SET search_path`` (SPEC §2.2, §10)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from tests.support import signup


@contextmanager
def counting(*engines):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


def test_switching_tenants_and_shards_adds_no_statements(sharded_runtime, sclient, client):
    rt = sharded_runtime
    east = signup(sclient)  # pinned to east
    home = signup(client)  # the default runtime places on default
    engines = (rt.shard_engine("default"), rt.shard_engine("east"))

    def request(tenant):
        with counting(*engines) as seen:
            resp = sclient.get(tenant.url("/admin/leads"), headers=tenant.headers)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return seen

    for tenant in (east, home):
        request(tenant)  # warm the directory cache
    same = request(east)
    switched_shard = request(home)
    back = request(east)
    assert len(same) >= 1  # the list query itself, counted on the shard engine
    assert len(same) == len(switched_shard) == len(back)
    assert not [s for s in same + switched_shard + back if "search_path" in s.lower()]
    assert not [s for s in same + back if "public.tenants" in s]  # cached tenant row
