"""``s3`` and ``r2`` backends (boto3): short timeouts, at most one retry, 60 s presigned URLs."""

from __future__ import annotations

from typing import BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from shared.storage.base import Storage

_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Storage(Storage):
    """An S3-compatible bucket. R2 is the same API at its own endpoint (region ``auto``)."""

    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        name: str = "s3",
        connect_timeout: float = 3,
        read_timeout: float = 15,
    ):
        self.name = name
        self.bucket = bucket
        config = Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            # The breaker and the janitor handle persistent failures; one quick retry is enough.
            retries={"total_max_attempts": 2, "mode": "standard"},
            signature_version="s3v4",
            s3={"addressing_style": "path"} if endpoint_url else {},
        )
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=config,
        )

    def _put(self, key: str, data: bytes | BinaryIO, content_type: str) -> str:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        return key

    def _open(self, ref: str) -> BinaryIO | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=ref)["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise

    def _delete(self, ref: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=ref)

    def _exists(self, ref: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=ref)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise
        return True

    def _presigned_url(self, ref: str, seconds: int) -> str:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": ref}, ExpiresIn=seconds
        )

    def _delete_prefix(self, prefix: str) -> int:
        deleted = 0
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        for page in pages:
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True}
                )
                deleted += len(keys)
        return deleted

    def _list_keys(self, prefix: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        return [obj["Key"] for page in pages for obj in page.get("Contents", [])]

    def content_type(self, ref: str) -> str | None:
        """The stored Content-Type of an object (None when it is missing)."""
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._check_ref(ref))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        return head.get("ContentType")
