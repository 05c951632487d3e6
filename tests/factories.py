"""Small builders with keyword defaults; they go through services where that matters."""

import itertools

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP

from accounts import services as account_services
from accounts.models import GovernmentLayer, User
from regions.models import Membership, Region, Role

_seq = itertools.count(1)
PASSWORD = "a-Sturdy-test-password-42"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_user(*, username: str | None = None, display_name: str | None = None,
              layer: str = GovernmentLayer.GEMEENTE, organisation: str = "Gemeente Testdorp",
              staff: bool = False, mfa: bool = False, verified: bool = True) -> User:
    n = next(_seq)
    username = username or f"user{n}"
    user = User.objects.create_user(
        username=username, email=f"{username}@example.nl", password=PASSWORD,
        is_staff=staff, is_superuser=staff,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
    account_services.create_profile(
        user=user, display_name=display_name or f"Test Persoon {n}", government_layer=layer,
        organisation=organisation,
    )
    if mfa:
        TOTP.activate(user, TOTP_SECRET)
    return user


def make_region(*, slug: str | None = None, name: str | None = None, is_open: bool = True,
                **fields) -> Region:
    n = next(_seq)
    return Region.objects.create(
        slug=slug or f"regio-{n}", name=name or f"Regio {n}", is_open=is_open,
        provinces=fields.pop("provinces", ["Utrecht"]), theme=fields.pop("theme", "Bodem en water"),
        **fields,
    )


def make_member(*, region: Region, user: User | None = None, role: str = Role.MEMBER,
                **user_fields) -> User:
    user = user or make_user(mfa=role != Role.MEMBER, **user_fields)
    Membership.objects.create(user=user, region=region, role=role)
    return user


def make_forums(region: Region | None = None):
    """A region's standard forums: (algemeen: members, verslagen: public, vragen: public)."""
    from forums import services as forum_services

    return forum_services.create_region_forums(region=region or make_region())


def make_thread(*, forum=None, author: User | None = None, title: str = "Een onderwerp",
                body: str = "Eerste bericht.", kind: str = "discussion", **kwargs):
    from forums import services as forum_services

    if forum is None:
        forum = make_forums()[2]
    if author is None:
        author = make_member(region=forum.region) if forum.region else make_user()
    return forum_services.create_thread(actor=author, forum=forum, title=title, body=body,
                                        kind=kind, **kwargs)


def make_post(*, thread, author: User | None = None, body: str = "Een reactie."):
    from forums import services as forum_services

    if author is None:
        author = make_member(region=thread.forum.region) if thread.forum.region else make_user()
    return forum_services.create_post(actor=author, thread=thread, body=body)
