from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in: drivers, and staff (is_staff) who use the admin."""

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def save(self, *args: object, **kwargs: object) -> None:
        # Emails are compared case-insensitively: store them lower-cased so `unique` holds.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


phone_validator = RegexValidator(
    r"^\+?[0-9 ()./-]{6,24}$",
    _("Enter a phone number of digits, optionally starting with + and the country code."),
)


class DriverProfile(models.Model):
    """A driver's personal and billing details; the buyer on their invoices."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=24, blank=True, validators=[phone_validator])
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (line 2)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"), blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    marketing_consent = models.BooleanField(_("send me news and offers"), default=False)
    marketing_consent_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    notification_emails = models.BooleanField(
        _("email me when a charge starts and ends"),
        default=True,
        help_text=_("Payment problems and receipts are always emailed."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("driver profile")

    def __str__(self) -> str:
        return self.full_name or self.user.email

    @property
    def has_billing_address(self) -> bool:
        return bool(self.full_name and self.address_line1 and self.city and self.country)


token_uid_validator = RegexValidator(
    r"^[!-~]{1,36}$", _("A token uid is 1 to 36 printable ASCII characters without spaces.")
)


class Token(models.Model):
    """A charging token we issue to a driver (OCPI Token, mod_tokens): app or RFID.

    `uid` with `type` identifies it (case-insensitive, as a CiString). `last_updated` moves on
    every save, so CPOs pulling our token list with date_from see each change.
    """

    class Type(models.TextChoices):
        AD_HOC_USER = "AD_HOC_USER", "AD_HOC_USER"
        APP_USER = "APP_USER", "APP_USER"
        OTHER = "OTHER", "OTHER"
        RFID = "RFID", "RFID"

    class Whitelist(models.TextChoices):
        ALWAYS = "ALWAYS", "ALWAYS"
        ALLOWED = "ALLOWED", "ALLOWED"
        ALLOWED_OFFLINE = "ALLOWED_OFFLINE", "ALLOWED_OFFLINE"
        NEVER = "NEVER", "NEVER"

    class ProfileType(models.TextChoices):
        CHEAP = "CHEAP", "CHEAP"
        FAST = "FAST", "FAST"
        GREEN = "GREEN", "GREEN"
        REGULAR = "REGULAR", "REGULAR"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    uid = models.CharField(max_length=36, validators=[token_uid_validator])
    type = models.CharField(max_length=16, choices=Type.choices)
    contract_id = models.CharField(_("contract ID"), max_length=36)
    visual_number = models.CharField(max_length=64, blank=True)
    issuer = models.CharField(max_length=64)
    group_id = models.CharField(max_length=36, blank=True)
    valid = models.BooleanField(default=True)
    whitelist = models.CharField(max_length=16, choices=Whitelist.choices)
    language = models.CharField(max_length=2, blank=True)
    default_profile_type = models.CharField(max_length=8, blank=True, choices=ProfileType.choices)
    energy_contract = models.JSONField(null=True, blank=True)
    valid_until = models.DateTimeField(
        null=True, blank=True, help_text=_("After this moment the token is expired (our field).")
    )
    last_updated = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("charging token")
        constraints = [
            models.UniqueConstraint(Upper("uid"), "type", name="drivers_token_unique_uid_type")
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.visual_number or self.uid}"

    def save(self, *args, **kwargs) -> None:
        self.last_updated = timezone.now()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "last_updated"}
        super().save(*args, **kwargs)


class CardOrder(models.Model):
    """A driver's order of an RFID card, shipped to the address on their profile.

    requested (by the driver) -> linked (staff entered the card's uid: the RFID token exists,
    not valid yet) -> shipped (staff posted it) -> activated (the driver, signed in, entered
    the number printed on the card: it charges from then on). A card lost in the post is never
    activated, so it never works for whoever finds it. The shipping address is a copy, kept
    as it was at the order.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        LINKED = "linked", _("card linked, to be posted")
        SHIPPED = "shipped", _("shipped, to be activated")
        ACTIVATED = "activated", _("activated")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="card_orders")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    shipping_name = models.CharField(max_length=150)
    shipping_address = models.TextField()
    token = models.OneToOneField(
        Token, null=True, blank=True, on_delete=models.SET_NULL, related_name="card_order"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    linked_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("RFID card order")
        ordering = ("-created_at",)
        constraints = [
            # One open order at a time: a double submit does not order two cards.
            models.UniqueConstraint(
                "user",
                condition=models.Q(status="requested"),
                name="drivers_cardorder_one_open_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_status_display()}"

    @property
    def awaiting_activation(self) -> bool:
        """Its card is linked (posted or not) and the driver has not activated it yet."""
        return self.token_id is not None and self.status in (
            self.Status.LINKED,
            self.Status.SHIPPED,
        )


class Notification(models.Model):
    """An email we sent a driver about one thing, once: `key` names it (e.g.
    "session_started:42"), and its uniqueness makes a retried task send nothing."""

    class Kind(models.TextChoices):
        SESSION_STARTED = "session_started", _("session started")
        SESSION_FINISHED = "session_finished", _("session finished")
        PAYMENT_FAILED = "payment_failed", _("payment failed")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    key = models.CharField(max_length=100, unique=True)
    language = models.CharField(max_length=8)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-sent_at",)

    def __str__(self) -> str:
        return self.key


class FavouriteLocation(models.Model):
    """A charging Location the driver marked as a favourite."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="favourite_locations")
    location = models.ForeignKey(
        "roaming.Location", on_delete=models.CASCADE, related_name="favourited_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("favourite location")
        constraints = [
            models.UniqueConstraint("user", "location", name="drivers_favourite_unique_location")
        ]

    def __str__(self) -> str:
        return f"{self.user} ♥ {self.location_id}"
