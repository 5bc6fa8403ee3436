from django.urls import path

from . import views

app_name = "party"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/", views.dashboard_export, name="dashboard_export"),
    path("checks/", views.check_list, name="checks"),
    path("checks/export/", views.check_list_export, name="checks_export"),
    path("checks/<slug:code>/", views.check_detail, name="check"),
    path("checks/<slug:code>/export/", views.check_export, name="check_export"),
    path("orgs/", views.org_list, name="org_list"),
    path("orgs/export/", views.org_export, name="org_export"),
    path("orgs/<int:pk>/", views.org_detail, name="org_detail"),
    path("orgs/<int:pk>/reparent/", views.org_reparent, name="org_reparent"),
    path("orgs/<int:pk>/merge/", views.org_merge, name="org_merge"),
    path("members/", views.member_list, name="member_list"),
    path("members/export/", views.member_export, name="member_export"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("import/", views.member_import, name="member_import"),
    path("import/template.xlsx", views.member_template, name="member_template"),
]
