"""Mail: one message per notification for kinds mailed right away, one digest per day.
Written in the recipient's language, plain text and HTML, with a one-click unsubscribe link
(RFC 8058 List-Unsubscribe / List-Unsubscribe-Post) signed for that recipient and kind."""

import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import present, selectors, services, tokens
from .kinds import Delivery
from .models import Notification

logger = logging.getLogger(__name__)


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def _language(user) -> str:
    profile = getattr(user, "profile", None)
    return getattr(profile, "language", None) or settings.LANGUAGE_CODE


def _message(user, subject: str, template: str, context: dict,
             unsubscribe_kind: str) -> EmailMultiAlternatives:
    unsubscribe_url = absolute(reverse("notifications:unsubscribe",
                                       args=[tokens.make(user.pk, unsubscribe_kind)]))
    context = {**context, "user": user, "unsubscribe_url": unsubscribe_url,
               "preferences_url": absolute(reverse("notifications:preferences")),
               "site_url": settings.SITE_URL}
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # a title can never break the mail's headers
        body=render_to_string(f"notifications/email/{template}.txt", context),
        to=[user.email],
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                 "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string(f"notifications/email/{template}.html", context),
                               "text/html")
    return message


def send_notification(notification_id: int) -> None:
    notification = services.claim_for_email(notification_id)
    if notification is None:
        return  # mailed already, or read before we got to it
    user = notification.recipient
    if not selectors.can_show(user, notification):
        return  # no longer theirs to see: stays claimed, never mailed
    with translation.override(_language(user)):
        text = present.describe(notification)
        message = _message(user, text, "notification", {
            "text": text, "notification": notification,
            "url": absolute(notification.get_absolute_url()),
            "reason": notification.reason,
            "kind_label": notification.get_kind_display(),
        }, unsubscribe_kind=notification.kind)
    try:
        message.send()
    except Exception:
        services.release_email_claim(notification_id)  # the retry mails it
        raise


def send_digests(now=None) -> int:
    """One mail per user with their unread digest notifications, grouped by region. Rows are
    claimed before the mail goes out, so a second run (or a second cron host) sends nothing
    twice; a mail that fails to send gives its rows back for the next run."""
    now = now or timezone.now()
    waiting = Notification.objects.filter(delivery=Delivery.DIGEST, digested_at__isnull=True,
                                          read_at__isnull=True)
    sent = 0
    for user_id in sorted(set(waiting.values_list("recipient_id", flat=True))):
        try:
            sent += _send_digest(user_id, waiting, now)
        except Exception:
            # One user's broken digest never stops the others' (their rows were given back).
            logger.exception("notifications: digest for user %s not sent", user_id)
    return sent


def _send_digest(user_id: int, waiting, now) -> int:
    with transaction.atomic():
        ids = list(waiting.filter(recipient_id=user_id)
                   .select_for_update(skip_locked=True, no_key=True)
                   .values_list("pk", flat=True))
        claimed = waiting.filter(pk__in=ids).update(digested_at=now)
    if not claimed:
        return 0
    try:
        rows = list(Notification.objects.filter(pk__in=ids, digested_at=now)
                    .select_related("recipient__profile", "actor__profile",
                                    "thread__forum__region", "post", "region")
                    .order_by("region__name", "-updated_at"))
        user = rows[0].recipient
        shown = [n for n in rows if selectors.can_show(user, n)]
        if not shown or not user.is_active:
            return 0
        _digest_message(user, shown).send()
    except Exception:
        Notification.objects.filter(pk__in=ids, digested_at=now).update(digested_at=None)
        raise
    return 1


def _digest_message(user, notifications: list[Notification]) -> EmailMultiAlternatives:
    with translation.override(_language(user)):
        by_region: dict[str, list[dict]] = defaultdict(list)
        for n in notifications:
            by_region[n.region.name if n.region else _("Whole Werkplaats")].append(
                {"text": present.describe(n), "url": absolute(n.get_absolute_url())})
        subject = _("Your daily Werkplaats digest: %(count)d updates") % {
            "count": len(notifications)}
        return _message(user, subject, "digest", {"regions": sorted(by_region.items())},
                        unsubscribe_kind="digest")
