from django.urls import path

from . import cockpit_views, views, workreport_views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("export/", views.export, name="export"),
    path("refresh/", views.refresh, name="refresh"),
    path("work-report/", workreport_views.index, name="work_report"),
    path("work-report/<int:pk>/", workreport_views.detail, name="work_report_detail"),
    path("work-report/<int:pk>/docx/", workreport_views.download, name="work_report_docx"),
    path("work-report/<int:pk>/chart/<int:index>.png", workreport_views.chart, name="work_report_chart"),
    path("cockpit/", cockpit_views.cockpit, name="cockpit"),
]
