from django.urls import path

from . import home, me, views

app_name = "web"
urlpatterns = [
    path("", home.home, name="home"),
    path("area/", home.area_home, name="area_home"),
    path("me/", home.resident_home, name="resident_home"),
    path("me/data/", me.my_data, name="my_data"),
    path("grid/", home.grid_home, name="grid_home"),
    path("property/", home.property_home, name="property_home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("audit/", views.audit_log, name="audit"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
]
