from django.apps import AppConfig


class TransportsConfig(AppConfig):
    name = "apps.transports"
    label = "transports"
