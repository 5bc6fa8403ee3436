from django.urls import path

from . import views

app_name = "workforce"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("checks/", views.check_list, name="checks"),
    path("checks/<slug:code>/", views.check_detail, name="check"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/export/", views.staff_export, name="staff_export"),
    path("staff/import/", views.staff_import, name="staff_import"),
    path("staff/import/template.xlsx", views.staff_template, name="staff_template"),
    path("staff/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/post/", views.staff_change_post, name="staff_change_post"),
    path("staff/<int:pk>/grid/", views.staff_assign_grid, name="staff_assign_grid"),
    path("staff/<int:pk>/successor/", views.staff_successor, name="staff_successor"),
    path("staff/<int:pk>/training/", views.staff_training, name="staff_training"),
    path("staff/<int:pk>/evaluate/", views.staff_evaluate, name="staff_evaluate"),
    path("staff/<int:pk>/replace/", views.staff_replace, name="staff_replace"),
    path("grids/", views.grid_history, name="grid_history"),
    path("salary/", views.salary_table, name="salary"),
    path("salary/import/", views.salary_import, name="salary_import"),
    path("salary/<int:pk>/export/", views.salary_export, name="salary_export"),
    path("payroll/", views.payroll_list, name="payroll_list"),
    path("payroll/<int:pk>/", views.payroll_detail, name="payroll_detail"),
    path("payroll/<int:pk>/export/", views.payroll_export, name="payroll_export"),
    path("competitions/new/", views.competition_create, name="competition_create"),
    path("competitions/<int:pk>/", views.competition_detail, name="competition"),
    path("competitions/<int:pk>/rounds/", views.competition_add_round, name="competition_add_round"),
    path("studios/", views.studio_list, name="studios"),
    path("salons/", views.salon_list, name="salons"),
]
