from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("residents/", views.resident_list, name="resident_list"),
    path("residents/<int:pk>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:pk>/unmask/", views.resident_unmask, name="resident_unmask"),
    path("residents/export/", views.export_residents, name="export"),
    path("households/", views.household_list, name="household_list"),
    path("households/export/", views.export_households, name="household_export"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("units/<int:unit_pk>/households/", views.household_create, name="household_create"),
    path("residents/<int:pk>/correction/", views.resident_correction, name="resident_correction"),
    path("corrections/", views.correction_list, name="correction_list"),
    path("corrections/<int:pk>/", views.correction_detail, name="correction_detail"),
    path("import/", views.import_residents, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]
