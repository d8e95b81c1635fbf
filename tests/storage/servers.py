"""Local stand-ins the storage tests start: moto's S3 server and a Cloudflare Images imitation."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid

import boto3
import pytest
from flask import Flask, Response, request
from werkzeug.serving import make_server

CF_ACCOUNT = "acct123"
CF_TOKEN = "cf-api-token"
CF_SIGNING_KEY = "cf-signing-key"
CF_HASH = "hashABC"


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's S3 server on a free port (it checks neither presigned signatures nor expiry)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def make_bucket(endpoint: str, name: str | None = None) -> str:
    name = name or f"photos-{uuid.uuid4().hex[:10]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket=name)
    return name


def s3_settings(settings, endpoint: str, bucket: str):
    return settings.replace(
        storage_backend="s3",
        s3_bucket=bucket,
        s3_endpoint_url=endpoint,
        s3_access_key_id="test",
        s3_secret_access_key="test",
    )


class CloudflareImagesStandIn:
    """Just enough of the Images API (v1 upload/details/blob/delete, v2 list) and of signed
    delivery (``exp`` + HMAC-SHA256 of ``path?exp=``) to exercise the backend over HTTP."""

    def __init__(self, page_size: int = 2):
        self.images: dict[str, dict] = {}
        self.page_size = page_size
        self.fail_next = 0
        self.delay = 0.0
        self.app = self._build()

    def _build(self) -> Flask:
        app = Flask("cf-standin")
        base = f"/client/v4/accounts/{CF_ACCOUNT}/images"

        def ok(result, status=200):
            body = {"success": True, "errors": [], "messages": [], "result": result}
            return Response(json.dumps(body), status, mimetype="application/json")

        def missing():
            body = {"success": False, "errors": [{"code": 5404, "message": "not found"}]}
            return Response(json.dumps(body), 404, mimetype="application/json")

        @app.before_request
        def gate():
            if self.delay:
                time.sleep(self.delay)
            if request.path.startswith("/client/v4/"):
                if request.headers.get("Authorization") != f"Bearer {CF_TOKEN}":
                    return Response("{}", 401, mimetype="application/json")
                if self.fail_next:
                    self.fail_next -= 1
                    return Response('{"success": false}', 500, mimetype="application/json")
            return None

        @app.post(f"{base}/v1")
        def upload():
            file = request.files["file"]
            image_id = str(uuid.uuid4())
            self.images[image_id] = {
                "id": image_id,
                "filename": file.filename,
                "blob": file.read(),
                "content_type": file.mimetype,
                "meta": json.loads(request.form.get("metadata") or "{}"),
                "requireSignedURLs": request.form.get("requireSignedURLs") == "true",
            }
            return ok(self._public(image_id))

        @app.get(f"{base}/v1/<image_id>")
        def details(image_id):
            return ok(self._public(image_id)) if image_id in self.images else missing()

        @app.get(f"{base}/v1/<image_id>/blob")
        def blob(image_id):
            image = self.images.get(image_id)
            if image is None:
                return missing()
            return Response(image["blob"], mimetype=image["content_type"])

        @app.delete(f"{base}/v1/<image_id>")
        def delete(image_id):
            if self.images.pop(image_id, None) is None:
                return missing()
            return ok({})

        @app.get(f"{base}/v2")
        def listing():
            ids = sorted(self.images)
            start = int(request.args.get("continuation_token") or 0)
            chunk = ids[start : start + self.page_size]
            more = start + self.page_size < len(ids)
            return ok(
                {
                    "images": [self._public(i) for i in chunk],
                    "continuation_token": str(start + self.page_size) if more else None,
                }
            )

        @app.get(f"/{CF_HASH}/<image_id>/<variant>")
        def deliver(image_id, variant):
            image = self.images.get(image_id)
            exp = request.args.get("exp", "")
            signed = f"{request.path}?exp={exp}"
            want = hmac.new(CF_SIGNING_KEY.encode(), signed.encode(), hashlib.sha256).hexdigest()
            if image is None:
                return Response("", 404)
            if image["requireSignedURLs"] and (
                not hmac.compare_digest(want, request.args.get("sig", ""))
                or int(exp or 0) < time.time()
            ):
                return Response("", 403)
            return Response(image["blob"], mimetype=image["content_type"])

        return app

    def _public(self, image_id):
        image = self.images[image_id]
        return {k: v for k, v in image.items() if k not in {"blob", "content_type"}}


@pytest.fixture(scope="session")
def cf_server():
    standin = CloudflareImagesStandIn()
    server = make_server("127.0.0.1", 0, standin.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    standin.url = f"http://127.0.0.1:{server.server_port}"
    yield standin
    server.shutdown()
    thread.join()


@pytest.fixture()
def cf(cf_server):
    cf_server.images.clear()
    cf_server.fail_next = 0
    cf_server.delay = 0.0
    return cf_server


def cf_settings(settings, standin):
    return settings.replace(
        storage_backend="cloudflare_images",
        cf_images_account_id=CF_ACCOUNT,
        cf_images_api_token=CF_TOKEN,
        cf_images_api_base=f"{standin.url}/client/v4",
        cf_images_delivery_url=f"{standin.url}/{CF_HASH}",
        cf_images_signing_key=CF_SIGNING_KEY,
    )
