from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        # Lower apps never import this one: they offer signals and check registries, and
        # moderation plugs into them here.
        from . import receivers

        receivers.connect()
