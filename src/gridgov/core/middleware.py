import uuid

from django.http import HttpRequest, HttpResponse

from . import context


class RequestContextMiddleware:
    """Give each request an id (kept from X-Request-ID when a proxy sets one) for its audit rows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        source = "api" if request.path.startswith("/api/") else "web"
        with context.acting(source, request_id=request_id[:64]):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id[:64]
        return response
