"""Shards: where new tenants go (placement), and moving a tenant between shards."""
