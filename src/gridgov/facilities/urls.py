from django.urls import path

from . import views

app_name = "facilities"
urlpatterns = [
    path("", views.facility_list, name="list"),
    path("new/", views.facility_create, name="create"),
    path("<int:pk>/", views.facility_detail, name="detail"),
    path("<int:pk>/toggle/", views.facility_toggle, name="toggle"),
    path("<int:pk>/photos/", views.facility_photo, name="photo"),
    path("export/", views.facility_export, name="export"),
    path("import/", views.facility_import, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("candidates/", views.candidate_list, name="candidates"),
    path("candidates/new/", views.candidate_create, name="candidate_create"),
    path("candidates/<int:pk>/", views.candidate_edit, name="candidate_edit"),
    path("standards/", views.standards, name="standards"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/map.json", views.coverage_map, name="coverage_map"),
    path("coverage/uncovered.xlsx", views.uncovered_export, name="uncovered_export"),
    path("coverage/recompute/", views.recompute, name="recompute"),
    path("siting/", views.siting, name="siting"),
    path("nearby/", views.nearby, name="nearby"),
    path("network/", views.network, name="network"),
]
