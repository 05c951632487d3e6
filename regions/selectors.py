from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User

from . import permissions
from .models import Membership, MembershipRequest, Region, Role


def list_regions(*, viewer: User) -> QuerySet[Region]:
    regions = Region.objects.annotate(num_members=Count("memberships"))
    return permissions.visible_regions(viewer, regions).order_by("position", "name")


def get_region(*, viewer: User, slug: str) -> Region:
    regions = Region.objects.annotate(num_members=Count("memberships"))
    return get_object_or_404(permissions.visible_regions(viewer, regions), slug=slug)


def list_moderators(*, region: Region) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(region=region, role=Role.MODERATOR)
        .select_related("user__profile")
        .order_by("user__profile__display_name")
    )


def list_members(*, region: Region) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(region=region)
        .select_related("user__profile")
        .order_by("user__profile__display_name", "user__username")
    )


def list_pending_requests(*, region: Region) -> QuerySet[MembershipRequest]:
    return (
        MembershipRequest.objects.filter(region=region, status=MembershipRequest.Status.PENDING)
        .select_related("user__profile")
        .order_by("created_at")
    )


def get_pending_request(*, viewer: User, region: Region) -> MembershipRequest | None:
    if not viewer.is_authenticated:
        return None
    return MembershipRequest.objects.filter(
        user=viewer, region=region, status=MembershipRequest.Status.PENDING
    ).first()


def list_user_regions(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, region__is_archived=False)
        .select_related("region")
        .order_by("region__position", "region__name")
    )



def get_membership(*, region: Region, membership_id: int) -> Membership:
    """One membership of the region, for its management actions; another region's is a 404."""
    return get_object_or_404(
        Membership.objects.select_related("user__profile", "region"), pk=membership_id,
        region=region)
