"""The tenant outbox: rows (``models``), admin views (``service``), the channels and message kinds
each feature registers (``registry``) and the delivery job (``delivery``).

The generic parts both apps share — columns, enqueue, replay, the claim/send/finish loop, the
dead-letter index — are ``shared.outbox``.
"""
