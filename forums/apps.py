from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumsConfig(AppConfig):
    name = "forums"
    verbose_name = _("Forums")

    def ready(self) -> None:
        from regions.signals import region_created

        from . import services

        region_created.connect(
            lambda sender, region, **kwargs: services.create_region_forums(region=region),
            dispatch_uid="forums.create_region_forums", weak=False,
        )
