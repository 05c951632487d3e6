"""The audit log: who did what, where from, why, before/after; append-only everywhere; readable
by the region's moderators (and staff, combined), filterable and exportable without formulas."""

import csv
import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from moderation import audit, posts
from moderation.models import AppendOnlyError, AuditEntry
from regions import services as region_services
from regions.models import Membership, MembershipRequest, Role
from tests.factories import make_member, make_region, make_user


def test_record_keeps_the_bio2_fields_and_the_request_origin(world, client):
    client.force_login(world.moderator)
    client.post(reverse("moderation:post_action", args=[world.post.pk]),
                {"action": "hide", "reason": "Telefoonnummer in het bericht"},
                REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="Firefox/140 (test)")
    entry = AuditEntry.objects.get(action="post.hidden")
    assert entry.actor == world.moderator
    assert world.moderator.username in entry.actor_label
    assert (entry.object_type, entry.object_id) == ("post", world.post.pk)
    assert "Peilbuizen uitlezen" in entry.object_label
    assert entry.region == world.region
    assert entry.result == AuditEntry.Result.SUCCESS
    assert entry.ip_address == "192.0.2.7"
    assert entry.user_agent == "Firefox/140 (test)"
    assert entry.reason == "Telefoonnummer in het bericht"
    assert entry.created_at is not None


def test_no_secrets_in_the_log(world, client):
    client.force_login(world.moderator)
    client.post(reverse("moderation:post_action", args=[world.post.pk]),
                {"action": "hide", "reason": "x"}, HTTP_AUTHORIZATION="Bearer geheim-token")
    values = " ".join(str(v) for v in AuditEntry.objects.values().get().values())
    assert "geheim-token" not in values and "csrfmiddlewaretoken" not in values
    assert client.session.session_key not in values


def test_a_refused_action_is_logged_as_refused_and_changes_nothing(world, broadcasts):
    with pytest.raises(Exception) as refused:
        posts.hide_post(actor=world.other_moderator, post=world.post, reason="Niet mijn regio")
    assert refused.typename == "PermissionDenied"
    assert not world.fresh(world.post).is_hidden
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.result, entry.actor) == (
        "post.hidden", AuditEntry.Result.DENIED, world.other_moderator)
    assert broadcasts == []


def test_entries_cannot_be_changed_or_deleted_in_python(world):
    entry = audit.record(actor=world.moderator, action="post.hidden", obj=world.post,
                         region=world.region, reason="origineel")
    entry.reason = "herschreven"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="herschreven")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().reason == "origineel"


def test_the_database_refuses_updates_from_raw_sql(world):
    audit.record(actor=world.moderator, action="post.hidden", obj=world.post,
                 region=world.region, reason="origineel")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE moderation_auditentry SET reason = 'herschreven'")
    assert AuditEntry.objects.get().reason == "origineel"


@pytest.mark.postgres
def test_postgresql_refuses_deletes_from_raw_sql(world):
    audit.record(actor=world.moderator, action="post.hidden", obj=world.post,
                 region=world.region)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM moderation_auditentry")
    assert AuditEntry.objects.count() == 1


def test_the_admin_shows_the_log_read_only(world, client):
    entry = audit.record(actor=world.moderator, action="post.hidden", obj=world.post,
                         region=world.region, reason="origineel")
    client.force_login(world.staff)
    changelist = reverse("admin:moderation_auditentry_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(reverse("admin:moderation_auditentry_add")).status_code == 403
    change = reverse("admin:moderation_auditentry_change", args=[entry.pk])
    page = client.get(change)
    assert page.status_code == 200 and b'name="reason"' not in page.content  # read-only view
    assert client.post(change, {"reason": "herschreven"}).status_code == 403
    delete = reverse("admin:moderation_auditentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    # No bulk "delete selected" either.
    response = client.post(changelist, {"action": "delete_selected",
                                        "_selected_action": [entry.pk], "post": "yes"})
    assert response.status_code in (200, 302)
    assert AuditEntry.objects.get().reason == "origineel"


def test_membership_decisions_role_changes_and_removals_are_recorded(world,
                                                                     django_capture_on_commit_callbacks):
    closed = make_region(is_open=False)
    moderator = make_member(region=closed, role=Role.MODERATOR)
    applicant = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        request = region_services.request_membership(actor=applicant, region=closed)
    with django_capture_on_commit_callbacks(execute=True):
        region_services.decide_request(actor=moderator, request=request, approve=True,
                                       reason="Welkom")
    membership = Membership.objects.get(user=applicant, region=closed)
    with django_capture_on_commit_callbacks(execute=True):
        region_services.change_role(actor=moderator, membership=membership, role=Role.REPORTER)
    with django_capture_on_commit_callbacks(execute=True):
        region_services.remove_member(actor=moderator, membership=membership)
    entries = list(AuditEntry.objects.filter(region=closed).order_by("pk"))
    assert [e.action for e in entries] == ["membership.approved", "role.changed",
                                           "member.removed"]
    assert entries[0].reason == "Welkom" and entries[0].object_id == applicant.pk
    assert (entries[1].before, entries[1].after) == ({"role": "member"}, {"role": "reporter"})
    assert MembershipRequest.objects.get().status == "approved"


# --- The audit pages ---------------------------------------------------------------------------

def _log_some(world, n=3):
    for i in range(n):
        audit.record(actor=world.moderator, action="post.hidden", obj=world.post,
                     region=world.region, reason=f"reden {i}")
    audit.record(actor=world.other_moderator, action="post.hidden", obj=world.post,
                 region=world.other_region, reason="elders")


@pytest.mark.parametrize("who, status", [
    ("moderator", 200), ("staff", 200), ("other_moderator", 403), ("member", 403),
    ("outsider", 403),
])
def test_region_log_is_for_its_moderators_and_staff(world, client, who, status):
    _log_some(world)
    client.force_login(getattr(world, who))
    response = client.get(reverse("moderation:region_audit", args=[world.region.slug]))
    assert response.status_code == status
    if status == 200:
        assert "reden 1" in response.content.decode()
        assert "elders" not in response.content.decode()


@pytest.mark.parametrize("who, status", [("staff", 200), ("moderator", 403), ("member", 403)])
def test_combined_log_is_for_staff(world, client, who, status):
    _log_some(world)
    client.force_login(getattr(world, who))
    response = client.get(reverse("moderation:audit"))
    assert response.status_code == status
    if status == 200:
        assert "elders" in response.content.decode() and "reden 1" in response.content.decode()


def test_moderator_without_mfa_is_sent_to_set_it_up(world, client):
    no_mfa = make_member(region=world.region, role=Role.MODERATOR, user=make_user())
    client.force_login(no_mfa)
    response = client.get(reverse("moderation:region_audit", args=[world.region.slug]))
    assert response.status_code == 302 and reverse("mfa_activate_totp") in response.url


def test_log_filters_by_action_actor_and_date_and_paginates(world, client):
    _log_some(world, n=60)
    audit.record(actor=world.staff, action="user.warned", obj=world.author,
                 region=world.region, reason="Let op je toon")
    client.force_login(world.moderator)
    url = reverse("moderation:region_audit", args=[world.region.slug])
    page = client.get(url).content.decode()
    assert "61 entries" in page or "61 regels" in page or "61" in page
    assert 'rel="next"' in page
    filtered = client.get(url, {"action": "user.warned"}).content.decode()
    assert "Let op je toon" in filtered and "reden 1<" not in filtered
    by_actor = client.get(url, {"actor": world.staff.username}).content.decode()
    assert "Let op je toon" in by_actor and "reden 3" not in by_actor
    tomorrow = client.get(url, {"date_from": "2999-01-01"}).content.decode()
    assert "Let op je toon" not in tomorrow
    assert client.get(url, {"date_from": "not-a-date"}).status_code == 200  # no 500


def test_csv_export_is_filtered_and_safe_for_spreadsheets(world, client):
    audit.record(actor=world.moderator, action="post.hidden", obj=world.post,
                 region=world.region, reason="=HYPERLINK(\"https://evil.example\")")
    audit.record(actor=world.moderator, action="user.warned", obj=world.author,
                 region=world.region, reason="@SUM(A1)")
    client.force_login(world.moderator)
    response = client.get(reverse("moderation:region_audit", args=[world.region.slug]),
                          {"format": "csv", "action": "post.hidden"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["time", "actor", "action"]
    assert len(rows) == 2
    assert rows[1][10] == "'=HYPERLINK(\"https://evil.example\")"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@"))
