from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor: machinery that several apps share and that imports none of them."""

    name = "core"
    verbose_name = "Werkplaats core"
