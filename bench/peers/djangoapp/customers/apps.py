from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "bench.peers.djangoapp.customers"
    label = "customers"
