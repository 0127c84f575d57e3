from django.urls import path

from drivers import views, views_find, views_tokens

app_name = "drivers"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("profile/", views.profile_edit, name="profile"),
    path("delete/", views.account_delete, name="delete"),
    path("tokens/", views_tokens.token_list, name="tokens"),
    path("tokens/rfid/", views_tokens.token_rfid_link, name="token_rfid_link"),
    path("tokens/rfid/order/", views_tokens.card_order, name="card_order"),
    path(
        "tokens/orders/<int:order_id>/activate/",
        views_tokens.card_order_activate,
        name="card_order_activate",
    ),
    path("tokens/<int:token_id>/block/", views_tokens.token_block, name="token_block"),
    path("favourites/", views_find.favourites, name="favourites"),
]
