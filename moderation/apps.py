from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        # Lower apps never import this one: they offer signals, which moderation connects to
        # here, and ask it through the adapter named in settings.PARTICIPATION_ADAPTER.
        from . import receivers

        receivers.connect()
