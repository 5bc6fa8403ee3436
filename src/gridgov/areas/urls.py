from django.urls import path

from . import views

app_name = "areas"
urlpatterns = [
    path("search/", views.area_search, name="search"),
    path("<int:pk>/", views.area_detail, name="detail"),
    path("<int:pk>/export/", views.area_export, name="export"),
    path("<int:pk>/history/", views.area_history, name="history"),
    path("<int:pk>/move/", views.area_move, name="move"),
    path("<int:pk>/retire/", views.area_retire, name="retire"),
    path("<int:pk>/add/", views.area_add_child, name="add_child"),
]
