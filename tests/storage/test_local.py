"""``local`` backend: atomic writes and a root nothing escapes."""

import os

import pytest

from shared.storage import InvalidKey
from shared.storage.local import LocalStorage


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    store = LocalStorage(tmp_path)
    store.put("tenants/t1/a.png", b"old", "image/png")

    class Exploding:
        """A stream that fails half-way, like a client that disconnects."""

        def __init__(self):
            self.calls = 0

        def read(self, _n):
            self.calls += 1
            if self.calls > 1:
                raise OSError("client went away")
            return b"new-partial"

    with pytest.raises(OSError):
        store.put("tenants/t1/a.png", Exploding(), "image/png")
    assert store.read("tenants/t1/a.png") == b"old"  # the old file is intact, not half-new
    assert sorted(p.name for p in (tmp_path / "tenants/t1").iterdir()) == ["a.png"]


def test_symlink_inside_the_root_cannot_lead_out(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"secret")
    os.symlink(outside, root / "tenants")
    store = LocalStorage(root)
    with pytest.raises(InvalidKey):
        store.open("tenants/secret.png")
    with pytest.raises(InvalidKey):
        store.put("tenants/new.png", b"x", "image/png")
    assert not (outside / "new.png").exists()


def test_the_root_itself_is_not_a_key(tmp_path):
    store = LocalStorage(tmp_path)
    with pytest.raises(InvalidKey):
        store.delete_prefix("./")
