from django.urls import path

from . import views

app_name = "emergency"
urlpatterns = [
    path("", views.console, name="console"),
    path("activations/<int:pk>/", views.board, name="board"),
    path("activations/<int:pk>/<slug:what>/", views.board_action, name="board_action"),
    path("me/", views.my_posts, name="me"),
    path("me/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("readiness/", views.readiness, name="readiness"),
    path("readiness/refresh/", views.readiness_refresh, name="readiness_refresh"),
    path("groups/<int:pk>/", views.groups, name="groups"),
    path("groups/<int:pk>/party-members/", views.import_party, name="import_party"),
]
