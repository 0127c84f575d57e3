from django.urls import path

from drivers import views_find

app_name = "find"
urlpatterns = [
    path("", views_find.location_list, name="list"),
    path("map/", views_find.location_map, name="map"),
    path("map/markers.json", views_find.location_markers, name="markers"),
    path("<int:location_id>/", views_find.location_detail, name="detail"),
    path("<int:location_id>/favourite/", views_find.favourite_toggle, name="favourite"),
]
