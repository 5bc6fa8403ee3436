from django.urls import path

from . import views

app_name = "points"
urlpatterns = [
    path("me/", views.me, name="me"),
    path("me/code/", views.my_code, name="code"),
    path("me/hours/", views.my_hours, name="hours"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("merchant/", views.merchant_home, name="merchant"),
    path("merchants/<int:pk>/statement.xlsx", views.statement, name="statement"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/", views.decide, name="decide"),
    path("rules/", views.rules, name="rules"),
    path("reports/", views.reports, name="reports"),
    path("reports/data.json", views.report_data, name="report_data"),
]
