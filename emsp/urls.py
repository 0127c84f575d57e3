from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from drivers import views as driver_views
from emsp import api_urls

admin.site.site_header = f"{settings.SITE_NAME} back office"
admin.site.site_title = f"{settings.SITE_NAME} back office"

urlpatterns = [
    path("", driver_views.home, name="home"),
    path("i18n/setlang/", driver_views.language_set, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("drivers.urls")),
    path("charge/", include("drivers.urls_charge")),
    path("locations/", include("drivers.urls_find")),
    path("", include("billing.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", include(api_urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("ocpi/", include("roaming.urls")),
]

handler404 = "emsp.errors.page_not_found"
handler500 = "emsp.errors.server_error"
