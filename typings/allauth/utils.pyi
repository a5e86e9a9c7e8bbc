from django.http import HttpRequest

# request.build_absolute_uri(); without a request (a Celery task), the current Site's domain
# and ACCOUNT_DEFAULT_HTTP_PROTOCOL.
def build_absolute_uri(
    request: HttpRequest | None, location: str, protocol: str | None = None
) -> str: ...
