"""Signals from code we don't own (allauth, Django's auth, the admin) turned into our own
service calls."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_init, post_save, pre_save
from django.dispatch import Signal, receiver

from core.session_clock import LAST_ACTIVITY, LOGGED_IN_AT

from .models import Profile, User

# A saved User or Profile changed what is shown next to the person's posts (SHOWN_FIELDS), or is
# new (a profile made later may name posts that exist). Sent after the save; `instance`.
# forums renders its cached thread HTML again then; other saves (a login, a bio) send nothing.
shown_on_posts_changed = Signal()


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs):
    import time

    now = time.time()
    request.session[LOGGED_IN_AT] = now
    request.session[LAST_ACTIVITY] = now


@receiver(user_logged_out)
def close_live_sockets_of_session(sender, request, user, **kwargs):
    """The session's open sockets close at once (others of the same user stay)."""
    if user is None or request is None or not getattr(request, "session", None):
        return
    from live import broadcast

    broadcast.send_now(broadcast.user_group(user.pk), {
        "type": "session.ended",
        "session_key": broadcast.session_fingerprint(request.session.session_key),
    })


# --- access that ends outside a logout -------------------------------------------------------
# On the model, not in the views: the admin, `manage.py changepassword` and allauth's password
# forms all end in User.save().

def _access_fields(user) -> tuple:
    # __dict__, not the attributes: a deferred field would cost a query for every user loaded.
    return user.__dict__.get("is_active"), user.__dict__.get("password")


@receiver(post_init, sender=User)
def remember_access_as_loaded(sender, instance, **kwargs):
    instance._access_as_loaded = _access_fields(instance)


@receiver(post_save, sender=User)
def recheck_live_sockets_when_access_ends(sender, instance, created, **kwargs):
    """A deactivated account, or a password changed (which ends the user's other sessions):
    the user's sockets re-check their session after commit and close 4401 if it no longer
    holds. Changes that bypass save() (a queryset update) are caught by the sockets' periodic
    re-check instead (live/consumers.py)."""
    (was_active, old_password) = getattr(instance, "_access_as_loaded", (None, None))
    is_active, password = instance._access_as_loaded = _access_fields(instance)
    if created:
        return
    deactivated = was_active is True and is_active is False
    password_changed = None not in (old_password, password) and old_password != password
    if deactivated or password_changed:
        from live import broadcast

        broadcast.send_on_commit(broadcast.user_group(instance.pk), {"type": "account.changed"})


# --- what posts show ----------------------------------------------------------------------------

@receiver(pre_save, sender=User)
@receiver(pre_save, sender=Profile)
def compare_what_posts_show(sender, instance, update_fields=None, **kwargs):
    """Compares the shown fields this save writes with the stored row (one small query, only
    when the save writes one of them); post_save below announces a difference."""
    fields = [name for name in sender.SHOWN_FIELDS
              if update_fields is None or name in update_fields]
    if not fields:
        changed = False
    elif instance.pk is None:
        changed = True
    else:
        stored = sender._default_manager.filter(pk=instance.pk).values_list(*fields).first()
        changed = stored != tuple(getattr(instance, name) for name in fields)
    instance._shown_on_posts_changed = changed


@receiver(post_save, sender=User)
@receiver(post_save, sender=Profile)
def announce_what_posts_show(sender, instance, created, **kwargs):
    if instance.__dict__.pop("_shown_on_posts_changed", False) or created:
        shown_on_posts_changed.send(sender=sender, instance=instance)
