from django.urls import path

from . import views

app_name = "datahub"
urlpatterns = [
    path("", views.sources, name="sources"),
    path("sources/<slug:code>/", views.source_detail, name="source"),
    path("sources/<slug:code>/upload/", views.upload, name="upload"),
    path("sources/<slug:code>/template.xlsx", views.template, name="template"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/download/", views.batch_raw, name="batch_raw"),
    path("tokens/", views.tokens, name="tokens"),
    path("runs/", views.runs, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("findings/", views.findings, name="findings"),
    path("findings/dispatch/", views.dispatch_all, name="dispatch_all"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("checks/", views.my_checks, name="my_checks"),
    path("trends/", views.trends, name="trends"),
]
