from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.views import serve as serve_static
from django.urls import URLPattern, URLResolver, include, path

from gridgov.core.health import healthz

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", healthz, name="healthz"),  # the monitor's probe (core/health.py): no login, no rows
    path("", include("gridgov.web.urls")),
    path("accounts/", include("gridgov.accounts.urls")),
    path("areas/", include("gridgov.areas.urls")),
    path("people/", include("gridgov.people.urls")),
    path("facilities/", include("gridgov.facilities.urls")),
    path("party/", include("gridgov.party.urls")),
    path("workforce/", include("gridgov.workforce.urls")),
    path("points/", include("gridgov.points.urls")),
    path("events/", include("gridgov.events.urls")),
    path("property/", include("gridgov.property.urls")),
    path("emergency/", include("gridgov.emergency.urls")),
    path("datahub/", include("gridgov.datahub.urls")),
    path("reports/", include("gridgov.reports.urls")),
    path("api/", include("gridgov.api_urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# The embedded default serves its own (vendored) static files; production puts a web server in
# front of collectstatic's output (docs/deploy.md) and sets GRIDGOV_SERVE_STATIC=0.
if settings.GRIDGOV_SERVE_STATIC and not settings.DEBUG:
    urlpatterns += [path(f"{settings.STATIC_URL.lstrip('/')}<path:path>", serve_static, {"insecure": True})]
