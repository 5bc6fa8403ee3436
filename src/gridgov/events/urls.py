from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    path("export.xlsx", views.QueueExportView.as_view(), name="queue_export"),
    path("places/", views.place_options, name="places"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
    path("report/", views.report, name="report"),
    path("mine/", views.mine, name="mine"),
    path("mine/<int:pk>/", views.follow, name="follow"),
    path("patrol/", views.patrol, name="patrol"),
    path("councils/", views.CouncilsView.as_view(), name="councils"),
]
