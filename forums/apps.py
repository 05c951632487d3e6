from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class ForumsConfig(AppConfig):
    name = "forums"
    verbose_name = _("Forums")

    def ready(self) -> None:
        from accounts.signals import shown_on_posts_changed
        from regions.signals import region_created

        from . import services

        region_created.connect(
            lambda sender, region, **kwargs: services.create_region_forums(region=region),
            dispatch_uid="forums.create_region_forums", weak=False,
        )
        shown_on_posts_changed.connect(_person_saved, dispatch_uid="forums.person_saved")
        # Forum, tag and region names are on cached pages too (breadcrumb, tags). Saved rarely
        # (a moderator's rename, the admin; counters change through update()), so every save
        # counts as a change.
        for model in ("forums.Forum", "forums.Tag", "regions.Region"):
            for signal in (post_save, post_delete):
                signal.connect(_label_saved, sender=model,
                               dispatch_uid=f"forums.label_saved.{model}.{id(signal)}")


def _person_saved(sender, instance, **kwargs) -> None:
    """A name, organisation or username shown on cached thread HTML (fragment_cache) changed:
    render it again once the change commits."""
    from . import fragment_cache

    transaction.on_commit(fragment_cache.names_changed, robust=True)


def _label_saved(sender, **kwargs) -> None:
    from . import fragment_cache

    transaction.on_commit(fragment_cache.names_changed, robust=True)
