"""Demo content for a local Werkplaats: loaded once into an empty database, logins printed on
every start. It refuses to run outside LOCAL_HTTP (a laptop or CI) unless forced."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from accounts import services as account_services
from accounts.models import GovernmentLayer, User
from regions.models import Membership, MembershipRequest, Region, Role

PASSWORD = "demo-werkplaats-2026"
# Demo only: a published secret so a developer can log in as a moderator with any TOTP app.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

PEOPLE = [
    # username, display name, layer, organisation, job title, staff, totp, {region: role}
    ("beheer", "Programmateam Werkplaats", GovernmentLayer.RIJK, "Ministerie van LNV",
     "Programmateam IBP Vitaal Platteland", True, True, {}),
    ("anna", "Anna de Vries", GovernmentLayer.WATERSCHAP, "Waterschap Vechtstromen",
     "Gebiedsadviseur water", False, True,
     {"twente": Role.MODERATOR, "zuidwestelijke-delta": Role.MODERATOR}),
    ("bram", "Bram Jansen", GovernmentLayer.PROVINCIE, "Provincie Fryslân",
     "Programmamanager veenweide", False, False, {"aldeboarn-de-deelen": Role.REPORTER}),
    ("carla", "Carla Bakker", GovernmentLayer.RIJK, "Ministerie van LNV",
     "Beleidsmedewerker gebiedsprocessen", False, False,
     {"twente": Role.MEMBER, "laag-holland": Role.MEMBER}),
    ("dirk", "Dirk Smit", GovernmentLayer.GEMEENTE, "Gemeente Twenterand",
     "Adviseur ruimtelijke ordening", False, False, {"twente": Role.MEMBER}),
    ("eva", "Eva Mulder", GovernmentLayer.ANDERS, "Wageningen University & Research",
     "Onderzoeker landschap", False, False, {"veluwe-foodvalley": Role.MEMBER}),
]


class Command(BaseCommand):
    help = "Load demo users and memberships into an empty database and print their logins."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run outside LOCAL_HTTP too.")

    def handle(self, *args, force=False, **options):
        if not (settings.LOCAL_HTTP or force):
            raise CommandError("Demo content is for local use (LOCAL_HTTP=1); use --force.")
        if not User.objects.exists():
            self.load()
            self.stdout.write(self.style.SUCCESS("Demo content loaded."))
        if User.objects.filter(username="anna", email="anna@demo.werkplaats.local").exists():
            self.print_logins()

    @transaction.atomic
    def load(self):
        Region.objects.filter(slug="zuidwestelijke-delta").update(is_open=False)
        regions = {r.slug: r for r in Region.objects.all()}
        for username, name, layer, org, title, staff, totp, roles in PEOPLE:
            user = User.objects.create_user(
                username=username, email=f"{username}@demo.werkplaats.local", password=PASSWORD,
                is_staff=staff, is_superuser=staff,
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            account_services.create_profile(
                user=user, display_name=name, government_layer=layer, organisation=org,
                job_title=title,
            )
            if totp:
                TOTP.activate(user, DEMO_TOTP_SECRET)
            for slug, role in roles.items():
                Membership.objects.create(user=user, region=regions[slug], role=role)
        # The demo's members are new and post in a moment: neither the posting limits nor the
        # new-member guard apply to the staged conversation.
        with override_settings(FORUM_POSTS_PER_MINUTE=0, FORUM_NEW_ACCOUNT_THREADS_PER_HOUR=0,
                               MODERATION_NEW_MEMBER_GUARD=False):
            self.load_forums()
        MembershipRequest.objects.create(
            user=User.objects.get(username="dirk"), region=regions["zuidwestelijke-delta"],
            motivation="Wij werken in Twenterand aan zoetwatervoorziening en willen leren van "
                       "de broedplaats zoet water.",
        )

    def load_forums(self):
        from forums import services as forum_services
        from forums.models import Forum, Tag

        users = {u.username: u for u in User.objects.all()}
        twente = Forum.objects.filter(region__slug="twente")
        reports, questions, general = (twente.get(slug="verslagen"),
                                       twente.get(slug="vragen-en-antwoorden"),
                                       twente.get(slug="algemeen"))
        tags = {t.slug: t for t in Tag.objects.filter(region=None)}
        report = forum_services.create_thread(
            actor=users["anna"], forum=reports, kind="report",
            title="Werksessie waterberging in de beekdalen",
            body="Op 14 november spraken waterschap, gemeente en provincie met twaalf "
                 "agrariërs over **waterberging** in het beekdal van de Regge.\n\n"
                 "- Wat kan een boer zelf doen?\n- Wat vraagt het van de overheid?",
            tags=[tags["bodem-en-water"], tags["lessen"]],
            report={"success_factors": "De keukentafelgesprekken vooraf; één contactpersoon.",
                    "obstacles": "Onzekerheid over de vergoeding per hectare.",
                    "lessons": "Begin bij het verhaal van de boer, niet bij de kaart."},
        )
        forum_services.create_post(
            actor=users["carla"], thread=report,
            body="Herkenbaar! Bij LNV zien we hetzelfde. @anna, mogen we dit delen?")
        question = forum_services.create_thread(
            actor=users["dirk"], forum=questions, kind="question",
            title="Wie heeft ervaring met een gebiedsfonds?",
            body="We willen in Twenterand een gebiedsfonds opzetten. Wie weet hoe je de "
                 "governance regelt tussen gemeente en waterschap?",
            tags=[tags["samenwerking"]])
        answer = forum_services.create_post(
            actor=users["anna"], thread=question,
            body="In Vechtstromen werken we met een stuurgroep en één penvoerder. "
                 "Zie ook [de handreiking](https://www.example.org/handreiking).")
        forum_services.accept_answer(actor=users["dirk"], thread=question, post=answer)
        forum_services.toggle_reaction(actor=users["dirk"], post=answer, kind="useful")
        forum_services.toggle_reaction(actor=users["carla"], post=answer, kind="thanks")
        forum_services.create_thread(
            actor=users["carla"], forum=general, title="Kennismaken: wie werkt waaraan?",
            body="Stel je even voor: organisatie, rol en waar je in de regio aan werkt.")

    def print_logins(self):
        out = self.stdout.write
        out("")
        out("Demo logins (password for all: %s) on %s" % (PASSWORD, settings.SITE_URL))
        for username, name, _layer, org, _t, staff, totp, roles in PEOPLE:
            role_text = ", ".join(f"{role} {slug}" for slug, role in roles.items()) or (
                "staff" if staff else "member")
            mfa = "  [TOTP secret %s]" % DEMO_TOTP_SECRET if totp else ""
            out(f"  {username}@demo.werkplaats.local  {name} ({org}): {role_text}{mfa}")
        if Authenticator.objects.filter(user__username="bram").exists() is False:
            out("  bram has a reporter role without MFA: he is asked to set it up.")
        out("")
