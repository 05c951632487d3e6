from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "Werkplaats"

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks
