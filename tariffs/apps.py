from django.apps import AppConfig


class TariffsConfig(AppConfig):
    name = "tariffs"
    verbose_name = "Tariffs"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate, post_save

        from tariffs.defaults import price_defaults_after_migrate
        from tariffs.models import VatRate
        from tariffs.selectors import vat_rates_cache_clear

        post_migrate.connect(price_defaults_after_migrate, dispatch_uid="tariffs.defaults")
        # The VAT table is cached (settings cache): a changed rate is seen at once.
        post_save.connect(vat_rates_cache_clear, sender=VatRate, dispatch_uid="tariffs.vat_save")
        post_delete.connect(vat_rates_cache_clear, sender=VatRate, dispatch_uid="tariffs.vat_del")
