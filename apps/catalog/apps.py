from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "apps.catalog"
    label = "catalog"

    def ready(self):
        # An account's package must name an application set offered to it.
        from apps.accounts.services import register_package_check

        from .services import check_package, package_choices

        register_package_check(check_package, package_choices)
