"""The bell, the inbox, opening a notification, preferences, mail (content, language, headers,
one-click unsubscribe) and the daily digest."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Profile
from forums import services as forum_services
from notifications import tokens
from notifications.kinds import Delivery, Kind
from notifications.models import Notification, Preference
from regions import services as region_services
from tests.conftest import page_queries
from tests.factories import make_forums, make_member, make_region, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    region = make_region(slug="achterhoek-test", name="Achterhoek")
    forums = make_forums(region)
    anna = make_member(region=region, username="anna", display_name="Anna de Vries")
    bram = make_member(region=region, username="bram", display_name="Bram Bos")
    return region, forums, anna, bram


def mention(after_commit, forums, author, target, title="Grondwater", thread=None):
    with after_commit():
        if thread is None:
            thread = forum_services.create_thread(actor=author, forum=forums[0], title=title,
                                                  body="Begin")
        post = forum_services.create_post(actor=author, thread=thread,
                                          body=f"@{target.username} wat denk jij?")
    return thread, post


def test_bell_shows_the_unread_count_and_the_inbox_lists_and_opens(client, after_commit, setting):
    region, forums, anna, bram = setting
    thread, post = mention(after_commit, forums, bram, anna)
    client.force_login(anna)
    html = client.get("/").content.decode()
    assert re.search(r'data-unread-count aria-hidden="true">1<', html)
    assert "1 ongelezen" in html

    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert "Bram Bos noemde je in “Grondwater”" in inbox
    notification = Notification.objects.get(recipient=anna)
    response = client.get(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302
    # The exact post: its page and anchor, through the post's own address.
    assert response["Location"] == post.get_absolute_url()
    notification.refresh_from_db()
    assert notification.read_at is not None
    after = client.get("/").content.decode()
    assert 'data-unread-count aria-hidden="true" hidden>0<' in after


def test_someone_elses_notification_is_not_found(client, after_commit, setting):
    region, forums, anna, bram = setting
    mention(after_commit, forums, bram, anna)
    client.force_login(bram)
    notification = Notification.objects.get(recipient=anna)
    assert client.get(reverse("notifications:open", args=[notification.pk])).status_code == 404
    assert client.post(reverse("notifications:mark_read",
                               args=[notification.pk])).status_code == 404


def test_opening_a_notification_about_what_you_can_no_longer_see(client, after_commit, setting):
    region, forums, anna, bram = setting
    mention(after_commit, forums, bram, anna)
    region_services.leave_region(actor=anna, region=region)
    client.force_login(anna)
    notification = Notification.objects.get(recipient=anna)
    response = client.get(reverse("notifications:open", args=[notification.pk]), follow=True)
    html = response.content.decode()
    assert "niet meer voor je beschikbaar" in html
    assert "Grondwater" not in html


def test_filters_mark_all_read_and_flat_query_count(client, after_commit, setting):
    region, forums, anna, bram = setting
    thread, _post = mention(after_commit, forums, bram, anna)
    client.force_login(anna)
    url = reverse("notifications:inbox")

    def queries():
        client.get(url)  # the header's unread count is cached once computed
        return page_queries(client, url)

    few = queries()
    for n in range(10):
        mention(after_commit, forums, bram, anna, title=f"Onderwerp {n}")
    assert queries() == few

    only_mentions = client.get(url, {"kind": Kind.REPLY}).content.decode()
    assert "noemde je" not in only_mentions
    client.post(reverse("notifications:mark_all_read"))
    assert not Notification.objects.filter(recipient=anna, read_at__isnull=True).exists()
    unread = client.get(url, {"show": "unread"}).content.decode()
    assert "Je bent helemaal bij" in unread or "Niets ongelezen" in unread


def test_menu_fragment_lists_the_latest(client, after_commit, setting):
    region, forums, anna, bram = setting
    mention(after_commit, forums, bram, anna)
    client.force_login(anna)
    html = client.get(reverse("notifications:menu")).content.decode()
    assert "Bram Bos noemde je" in html and "Alle meldingen" in html


def test_preferences_are_saved_and_an_unknown_kind_is_a_form_error(client, setting):
    region, forums, anna, bram = setting
    client.force_login(anna)
    url = reverse("notifications:preferences")
    assert client.get(url).status_code == 200
    data = {f"kind_{kind}": Delivery.IN_APP for kind in Kind.values}
    data["kind_mention"] = Delivery.DIGEST
    data["muted_regions"] = [str(region.pk)]
    assert client.post(url, data).status_code == 302
    assert Preference.objects.get(user=anna, kind=Kind.MENTION).delivery == Delivery.DIGEST
    assert anna.muted_regions.filter(region=region).exists()

    forged = {**data, "kind_gossip": Delivery.EMAIL, "kind_mention": Delivery.OFF}
    response = client.post(url, forged)
    assert response.status_code == 400
    assert "Onbekend soort melding: gossip" in response.content.decode()
    # Nothing changed, and the form keeps what was chosen.
    assert Preference.objects.get(user=anna, kind=Kind.MENTION).delivery == Delivery.DIGEST
    assert 'value="off" selected' in response.content.decode()

    bad_value = {**data, "kind_mention": "carrier-pigeon"}
    assert client.post(url, bad_value).status_code == 400


def test_a_refusal_of_the_preferences_service_comes_back_on_the_form(client, setting,
                                                                      monkeypatch):
    from django.core.exceptions import ValidationError

    from notifications import services

    def refuse(**kwargs):
        raise ValidationError("Die keuze kan nu even niet.")

    monkeypatch.setattr(services, "set_preferences", refuse)
    region, forums, anna, bram = setting
    client.force_login(anna)
    data = {f"kind_{kind}": Delivery.EMAIL for kind in Kind.values}
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Die keuze kan nu even niet." in html and 'value="email" selected' in html


def test_mention_mail_text_html_language_and_unsubscribe_headers(after_commit, setting):
    region, forums, anna, bram = setting
    Profile.objects.filter(user=anna).update(language="en")
    mail.outbox.clear()
    thread, post = mention(after_commit, forums, bram, anna)
    [message] = mail.outbox
    assert message.to == [anna.email]
    assert message.subject == "Bram Bos mentioned you in “Grondwater”"
    notification = Notification.objects.get(recipient=anna)
    assert f"/meldingen/{notification.pk}/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and '<html lang="en">' in html
    assert "wat denk jij" not in message.body  # the post's text stays on the site
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert re.fullmatch(r"<http://.+/meldingen/afmelden/[^/]+/>", unsubscribe)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert notification.emailed_at is not None


def test_one_click_unsubscribe_needs_no_login_and_get_changes_nothing(client, setting):
    region, forums, anna, bram = setting
    url = reverse("notifications:unsubscribe", args=[tokens.make(anna.pk, Kind.MENTION)])
    page = client.get(url)
    assert page.status_code == 200 and "Afmelden" in page.content.decode()
    assert not Preference.objects.filter(user=anna).exists()
    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", no session, no CSRF token.
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Preference.objects.get(user=anna, kind=Kind.MENTION).delivery == Delivery.IN_APP


@pytest.mark.parametrize("token", ["garbage", None])
def test_tampered_unsubscribe_link_says_so_and_offers_preferences(client, setting, token):
    region, forums, anna, bram = setting
    if token is None:
        good = tokens.make(anna.pk, Kind.MENTION)
        token = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    response = client.post(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "niet geldig" in html and reverse("notifications:preferences") in html
    assert not Preference.objects.exists()


def test_expired_unsubscribe_link(client, setting, monkeypatch):
    region, forums, anna, bram = setting
    token = tokens.make(anna.pk, Kind.MENTION)
    monkeypatch.setattr(tokens, "MAX_AGE", -1)
    assert client.post(reverse("notifications:unsubscribe", args=[token])).status_code == 400


def test_daily_digest_groups_by_region_and_never_sends_twice(after_commit, setting):
    region, forums, anna, bram = setting
    other_region = make_region(name="Veenkoloniën")
    other_forums = make_forums(other_region)
    make_member(region=other_region, user=anna)
    make_member(region=other_region, user=bram)
    with after_commit():
        t1 = forum_services.create_thread(actor=anna, forum=forums[0], title="Eerste", body="S")
        t2 = forum_services.create_thread(actor=anna, forum=other_forums[0], title="Tweede",
                                          body="S")
        forum_services.create_post(actor=bram, thread=t1, body="Reactie 1")
        forum_services.create_post(actor=bram, thread=t2, body="Reactie 2")
    mail.outbox.clear()
    call_command("send_digests")
    [digest] = [m for m in mail.outbox if m.to == [anna.email]]
    assert "Achterhoek" in digest.body and "Veenkoloniën" in digest.body
    assert "Eerste" in digest.body and "Tweede" in digest.body
    assert "List-Unsubscribe" in digest.extra_headers
    mail.outbox.clear()
    call_command("send_digests")
    assert mail.outbox == []
    # A new reply makes the running notification news again for the next digest.
    with after_commit():
        forum_services.create_post(actor=bram, thread=t1, body="Reactie 3")
    call_command("send_digests")
    [again] = mail.outbox
    assert "Eerste" in again.body and "Tweede" not in again.body


def test_digest_leaves_out_what_the_reader_can_no_longer_see(after_commit, setting):
    region, forums, anna, bram = setting
    with after_commit():
        thread = forum_services.create_thread(actor=anna, forum=forums[0], title="Besloten",
                                              body="S")
        forum_services.create_post(actor=bram, thread=thread, body="Reactie")
    region_services.leave_region(actor=anna, region=region)
    mail.outbox.clear()
    call_command("send_digests")
    assert mail.outbox == []


def test_a_mail_that_fails_is_given_back_and_retried(after_commit, setting, monkeypatch):
    from notifications import emails

    region, forums, anna, bram = setting
    calls = []

    def broken_send(self, *args, **kwargs):
        calls.append(1)
        raise OSError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken_send)
    mention(after_commit, forums, bram, anna)
    notification = Notification.objects.get(recipient=anna)
    assert calls and notification.emailed_at is None  # claim released for the retry
    monkeypatch.undo()
    mail.outbox.clear()
    emails.send_notification(notification.pk)
    assert len(mail.outbox) == 1
    emails.send_notification(notification.pk)  # a duplicate task mails nothing twice
    assert len(mail.outbox) == 1


def test_language_link_remembers_the_language_for_mail(client, setting):
    region, forums, anna, bram = setting
    client.force_login(anna)
    client.get(reverse("switch_language", args=["en"]))
    assert Profile.objects.get(user=anna).language == "en"


def test_signup_language_is_the_page_language():
    user = make_user()
    assert user.profile.language == "nl"
