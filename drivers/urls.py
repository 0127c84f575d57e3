from django.urls import path

from drivers import views, views_find

app_name = "drivers"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("profile/", views.profile_edit, name="profile"),
    path("delete/", views.account_delete, name="delete"),
    path("favourites/", views_find.favourites, name="favourites"),
]
