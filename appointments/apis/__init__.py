"""The appointments REST API (/api/v1/...), by resource. Thin: a filter or input serializer,
one selector or service call, an output serializer.

Booking, moving, cancelling, the visit's status changes and accepting an offered time take
an ``Idempotency-Key`` header (``core/idempotency.py``): a retried request returns the first
result and changes nothing twice.
"""
