from django.apps import AppConfig


class PublicNotesConfig(AppConfig):
    name = "bench.peers.djangoapp.publicnotes"
    label = "publicnotes"
