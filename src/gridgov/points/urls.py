from django.urls import path

from . import account_views, views

app_name = "points"
urlpatterns = [
    path("me/", views.me, name="me"),
    path("me/code/", views.my_code, name="code"),
    path("me/hours/", views.my_hours, name="hours"),
    path("me/activities/", views.activities, name="activities"),
    path("me/activities/<int:pk>/sign-up/", views.sign_up, name="sign_up"),
    path("me/activities/report/", views.self_report, name="self_report"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/export.xlsx", views.catalogue_export, name="catalogue_export"),
    path("catalogue/new/", views.scenario_create, name="scenario_create"),
    path("catalogue/<int:pk>/edit/", views.scenario_edit, name="scenario_edit"),
    path("merchant/", views.merchant_home, name="merchant"),
    path("merchants/<int:pk>/statement.xlsx", views.statement, name="statement"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/export.xlsx", views.approvals_export, name="approvals_export"),
    path("approvals/<int:pk>/", views.decide, name="decide"),
    path("rules/", views.rules, name="rules"),
    path("rules/export.xlsx", views.rules_export, name="rules_export"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("reports/", views.reports, name="reports"),
    path("reports/data.json", views.report_data, name="report_data"),
    path("reports/export.xlsx", views.report_export, name="report_export"),
    path("month-close/", views.month_close, name="month_close"),
    path("grid-rules/", views.grid_rules, name="grid_rules"),
    path("volunteers/", views.volunteers, name="volunteers"),
    path("accounts/", account_views.accounts, name="accounts"),
    path("accounts/export.xlsx", account_views.accounts_export, name="accounts_export"),
    path("accounts/<int:pk>/split/", account_views.split, name="account_split"),
]
