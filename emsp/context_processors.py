from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    """The product's name and public address, for page titles, emails and absolute links."""
    return {"site_name": settings.SITE_NAME, "public_url": settings.EMSP_PUBLIC_URL}
