"""``cloudflare_images`` backend: Cloudflare Images over its HTTP API (requests).

Private images (``requireSignedURLs``) cannot carry custom ids, so Cloudflare assigns the id (the
reference ``put`` returns) and our key travels in the image's metadata, which is what
``delete_prefix`` matches on. Downloads are signed delivery URLs: ``exp`` plus an HMAC-SHA256 of
``<path>?exp=<ts>`` with the account's signing key, as Cloudflare's private-image docs describe.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import BinaryIO
from urllib.parse import quote, urlsplit

import requests

from shared.storage.base import InvalidKey, Storage, StorageError

REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
VARIANT = "public"


class CloudflareImagesStorage(Storage):
    name = "cloudflare_images"

    def __init__(
        self,
        *,
        account_id: str,
        api_token: str,
        api_base: str,
        delivery_url: str,
        signing_key: str,
        timeout: tuple[float, float] = (3, 15),
    ):
        self.images = f"{api_base.rstrip('/')}/accounts/{quote(account_id, safe='')}/images"
        self.delivery_url = delivery_url.rstrip("/")
        self.signing_key = signing_key.encode()
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {api_token}"

    def _check_ref(self, ref: str) -> str:
        if not isinstance(ref, str) or not REF_RE.fullmatch(ref):
            raise InvalidKey(f"not a Cloudflare image id: {ref!r}")
        return ref

    def _request(self, method: str, url: str, *, ok_missing: bool = False, **kw):
        resp = self.http.request(method, url, timeout=self.timeout, **kw)
        if ok_missing and resp.status_code == 404:
            resp.close()
            return None
        if resp.status_code >= 400:
            resp.close()
            raise StorageError(f"Cloudflare Images {method} answered {resp.status_code}")
        return resp

    def _result(self, resp) -> dict:
        body = resp.json()
        if not body.get("success"):
            raise StorageError(f"Cloudflare Images refused the call: {body.get('errors')}")
        return body.get("result") or {}

    def _put(self, key: str, data: bytes | BinaryIO, content_type: str) -> str:
        name = key.rsplit("/", 1)[-1]
        resp = self._request(
            "POST",
            f"{self.images}/v1",
            files={"file": (name, data, content_type)},
            data={"requireSignedURLs": "true", "metadata": json.dumps({"key": key})},
        )
        ref = str(self._result(resp).get("id", ""))
        return self._check_ref(ref)

    def _open(self, ref: str) -> BinaryIO | None:
        resp = self._request("GET", f"{self.images}/v1/{ref}/blob", ok_missing=True, stream=True)
        if resp is None:
            return None
        resp.raw.decode_content = True
        return resp.raw

    def _delete(self, ref: str) -> None:
        self._request("DELETE", f"{self.images}/v1/{ref}", ok_missing=True)

    def _exists(self, ref: str) -> bool:
        return self._request("GET", f"{self.images}/v1/{ref}", ok_missing=True) is not None

    def _presigned_url(self, ref: str, seconds: int) -> str:
        parts = urlsplit(self.delivery_url)
        path = f"{parts.path}/{ref}/{VARIANT}"
        expires = int(time.time()) + seconds
        to_sign = f"{path}?exp={expires}"
        sig = hmac.new(self.signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
        return f"{parts.scheme}://{parts.netloc}{to_sign}&sig={sig}"

    def _delete_prefix(self, prefix: str) -> int:
        doomed, token = [], None
        while True:
            params = {"per_page": 1000}
            if token:
                params["continuation_token"] = token
            result = self._result(self._request("GET", f"{self.images}/v2", params=params))
            for image in result.get("images") or []:
                key = (image.get("meta") or {}).get("key") or ""
                if key.startswith(prefix):
                    doomed.append(image["id"])
            token = result.get("continuation_token")
            if not token:
                break
        for ref in doomed:
            self._delete(self._check_ref(ref))
        return len(doomed)
