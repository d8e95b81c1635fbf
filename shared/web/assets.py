"""Static files of our pages, served by the app itself and fingerprinted by content.

Each app keeps one ``Assets`` registry: logical names (``web/app.css``, ``book/book.js``) mapped to
files in the packages. ``url(name)`` gives ``<app>/assets/<digest>/<name>`` where the digest is the
start of the file's SHA-256, so the response can be cached for a year (``immutable``): a new
version of a file is a new URL. A request for an old digest is answered with the current file but
``no-cache`` (a page rendered before a deploy still looks right), an unknown name is a 404.
Files are read once, at registration: nothing on the request path touches the disk.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, url_for

IMMUTABLE = "public, max-age=31536000, immutable"
DIGEST_CHARS = 12
TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    digest: str
    mimetype: str


class Assets:
    def __init__(self) -> None:
        self._files: dict[str, Asset] = {}

    def add(self, name: str, path: Path) -> None:
        """Serve the file at ``path`` under the logical ``name``."""
        body = Path(path).read_bytes()
        digest = hashlib.sha256(body).hexdigest()[:DIGEST_CHARS]
        suffix = Path(name).suffix
        mimetype = TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        self._files[name] = Asset(body, digest, mimetype)

    def add_dir(self, prefix: str, directory: Path) -> None:
        """Every file of ``directory`` as ``<prefix>/<file name>``."""
        for path in sorted(Path(directory).iterdir()):
            if path.is_file():
                self.add(f"{prefix}/{path.name}", path)

    def get(self, name: str) -> Asset | None:
        return self._files.get(name)

    def names(self) -> list[str]:
        return sorted(self._files)

    def url(self, name: str) -> str:
        asset = self._files[name]  # a template naming a missing asset fails loudly
        return url_for("web_assets.asset", digest=asset.digest, name=name)


def assets_of(app: Flask | None = None) -> Assets:
    return (app or current_app).extensions["web_assets"]


def init_app(app: Flask) -> Assets:
    assets = Assets()
    app.extensions["web_assets"] = assets
    bp = Blueprint("web_assets", __name__)

    @bp.get("/assets/<digest>/<path:name>")
    def asset(digest: str, name: str):
        found = assets.get(name)
        if found is None:
            abort(404)
        resp = Response(found.body, mimetype=found.mimetype)
        if found.mimetype.startswith("text/"):
            resp.charset = "utf-8"
        resp.headers["Cache-Control"] = IMMUTABLE if digest == found.digest else "no-cache"
        return resp

    app.register_blueprint(bp)
    return assets
