from django.conf import settings
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from drivers.selectors import driver_profile_get
from drivers.services import driver_profile_update
from emsp.api import JsonInputSerializer


class MeOutputSerializer(serializers.Serializer):
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField()
    phone = serializers.CharField()
    address_line1 = serializers.CharField()
    address_line2 = serializers.CharField()
    postal_code = serializers.CharField()
    city = serializers.CharField()
    country = CountryField(country_dict=False, allow_blank=True)
    preferred_language = serializers.ChoiceField(choices=settings.LANGUAGES)
    marketing_consent = serializers.BooleanField()
    notification_emails = serializers.BooleanField(
        help_text="Emails when a charge starts and ends (payment problems are always emailed)."
    )
    has_billing_address = serializers.BooleanField()


class MeUpdateInputSerializer(JsonInputSerializer):
    full_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    phone = serializers.RegexField(
        r"^(\+?[0-9()./-][0-9 ()./-]{4,22}[0-9()./-])?$",
        max_length=24,
        allow_blank=True,
        required=False,
    )
    address_line1 = serializers.CharField(max_length=200, allow_blank=True, required=False)
    address_line2 = serializers.CharField(max_length=200, allow_blank=True, required=False)
    postal_code = serializers.CharField(max_length=20, allow_blank=True, required=False)
    city = serializers.CharField(max_length=100, allow_blank=True, required=False)
    country = CountryField(allow_blank=True, required=False)
    preferred_language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    marketing_consent = serializers.BooleanField(required=False)
    notification_emails = serializers.BooleanField(required=False)


class MeApi(APIView):
    """The signed-in driver's own account and profile."""

    @extend_schema(responses=MeOutputSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        profile = driver_profile_get(user=request.user)
        return Response(MeOutputSerializer(profile).data)

    @extend_schema(
        request=MeUpdateInputSerializer, responses=MeOutputSerializer, operation_id="me_update"
    )
    def patch(self, request: Request) -> Response:
        serializer = MeUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = driver_profile_update(user=request.user, **serializer.validated_data)
        return Response(MeOutputSerializer(profile).data)
