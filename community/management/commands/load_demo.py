"""Demo content for a local Werkplaats: loaded once into an empty database, logins printed on
every start. It refuses to run outside LOCAL_HTTP (a laptop or CI) unless forced."""

from datetime import date, datetime, time, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts import services as account_services
from accounts.models import GovernmentLayer, User
from events import services as event_services
from events.models import Meeting, Question
from forums.models import Tag, Thread
from regions.models import Membership, MembershipRequest, Region, Role

PASSWORD = "demo-werkplaats-2026"
# Demo only: a published secret so a developer can log in as a moderator with any TOTP app.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

def at(day: date, hour: int, minute: int = 0) -> datetime:
    """That time of day in the site's time zone (Europe/Amsterdam)."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


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
        if self.demo_lacks_meetings():
            # Also for a demo database loaded before meetings existed.
            self.load_meetings()
            self.stdout.write(self.style.SUCCESS("Demo meetings loaded."))
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

    def demo_lacks_meetings(self) -> bool:
        return User.objects.filter(username="beheer", is_staff=True).exists() and \
            not Meeting.objects.exists()

    @transaction.atomic
    def load_meetings(self):
        users = {u.username: u for u in User.objects.all()}
        twente = Region.objects.get(slug="twente")
        tags = {t.slug: t for t in Tag.objects.filter(region=None)}
        today = timezone.localdate()
        self.load_werkplaatsbijeenkomst(users, tags, today + timedelta(days=30))
        self.load_full_meeting(users, twente, tags, today + timedelta(days=12))
        self.load_past_meeting(users, twente, tags, today)
        self.load_invite_only_meeting(users, today + timedelta(days=45))

    def load_werkplaatsbijeenkomst(self, users, tags, day: date):
        """Programme-wide and open, with speakers, two workshops and questions."""
        staff, anna = users["beheer"], users["anna"]
        zegveld = event_services.create_meeting(
            actor=staff, kind=Meeting.Kind.WERKPLAATS,
            title="Werkplaatsbijeenkomst: interbestuurlijke aanpak regionale opgaven",
            description="Vier keer per jaar brengt het programmateam de professionals uit de "
                        "regio's samen om van elkaar te leren. Deze keer: hoe pakken Rijk, "
                        "provincie, gemeente en waterschap regionale opgaven **samen** aan?\n\n"
                        "Kies bij je aanmelding een van de twee workshops.",
            starts_at=at(day, 13), ends_at=at(day, 17, 30),
            venue_name="Dorpshuis De Vlist", venue_address="Hoofdweg 77\n3474 KE Zegveld",
            capacity=80, organiser_name="Programmateam Werkplaats",
            organiser_email="werkplaats@demo.werkplaats.local",
            tags=[tags["samenwerking"], tags["veenweide"]])
        director_general = event_services.add_speaker(
            actor=staff, meeting=zegveld, name="Marieke van den Berg",
            organisation="Ministerie van LNV, directeur-generaal",
            government_layer=GovernmentLayer.RIJK)
        planner = event_services.add_speaker(
            actor=staff, meeting=zegveld, name="Joost Hendriks",
            organisation="Planbureau voor de Leefomgeving, directeur",
            government_layer=GovernmentLayer.ANDERS)
        water = event_services.add_speaker(
            actor=staff, meeting=zegveld, name="Anna de Vries",
            organisation="Waterschap Vechtstromen", government_layer=GovernmentLayer.WATERSCHAP,
            user=anna)
        province = event_services.add_speaker(
            actor=staff, meeting=zegveld, name="Bram Jansen", organisation="Provincie Fryslân",
            government_layer=GovernmentLayer.PROVINCIE, user=users["bram"])
        programme = [
            ("Ontvangst met koffie", 13, 0, 13, 30, "Foyer", False, []),
            ("Opening: één overheid in de regio", 13, 30, 14, 0, "Grote zaal", False,
             [director_general]),
            ("Regionale opgaven in samenhang: wat de cijfers zeggen", 14, 0, 14, 45,
             "Grote zaal", False, [planner]),
            ("Workshop: water en bodem sturend in het veenweidegebied", 15, 0, 16, 15,
             "Zaal Lange Linschoten", True, [water]),
            ("Workshop: samen financieren met een gebiedsfonds", 15, 0, 16, 15,
             "Zaal Oude Rijn", True, [province]),
            ("Terugblik en afsluiting, daarna een borrel", 16, 30, 17, 30, "Grote zaal", False,
             [director_general]),
        ]
        items = []
        for title, h1, m1, h2, m2, room, is_session, speakers in programme:
            items.append(event_services.add_programme_item(
                actor=staff, meeting=zegveld, title=title, starts_at=at(day, h1, m1),
                ends_at=at(day, h2, m2), room=room, is_session=is_session,
                capacity=30 if is_session else None, speakers=speakers))
        inbreng = event_services.add_question(
            actor=staff, meeting=zegveld, label="Welke regionale opgave wil je inbrengen?")
        lunch = event_services.add_question(
            actor=staff, meeting=zegveld, label="Eet je mee bij de borrel?",
            kind=Question.Kind.YES_NO, required=True)
        zegveld = event_services.publish_meeting(actor=staff, meeting=zegveld)
        for username, workshop, text in [
            ("carla", items[3], "De wateropgave in Laag Holland."),
            ("dirk", items[4], ""),
            ("eva", items[3], "Onderzoek naar veenweidelandschappen."),
        ]:
            event_services.register(
                actor=users[username], meeting=zegveld, sessions=[workshop],
                answers={inbreng.pk: text, lunch.pk: True}, consent_participant_list=True)

    def load_full_meeting(self, users, twente, tags, day: date):
        """Two places taken, two people on the waiting list."""
        anna = users["anna"]
        excursion = event_services.create_meeting(
            actor=anna, region=twente, kind=Meeting.Kind.REGIONAL,
            title="Excursie: klimaatbestendige beekdalen in Twente",
            description="Met een klein gezelschap langs de Regge: waterberging in de praktijk, "
                        "met de boeren die het doen. Er is plek voor twee deelnemers in het "
                        "busje; vol is vol, maar de wachtlijst schuift door.",
            starts_at=at(day, 9, 30), ends_at=at(day, 13),
            venue_name="Boerderij Het Beekdal", venue_address="Reggeweg 12\n7447 AA Hellendoorn",
            capacity=2, organiser_name="Anna de Vries", organiser_email=anna.email,
            tags=[tags["bodem-en-water"]])
        excursion = event_services.publish_meeting(actor=anna, meeting=excursion)
        for username in ("carla", "dirk", "eva", "bram"):  # the last two wait
            event_services.register(actor=users[username], meeting=excursion,
                                    consent_participant_list=True)

    def load_past_meeting(self, users, twente, tags, today: date):
        """With participants and a link to its report (the demo's report thread). Registering
        for a meeting that has ended is refused (as it should be), so it is staged with future
        dates and then moved to the day of that report, the most recent 14 November."""
        anna = users["anna"]
        held = date(today.year, 11, 14)
        if held >= today:
            held = date(today.year - 1, 11, 14)
        report = Thread.objects.filter(forum__region=twente,
                                       title="Werksessie waterberging in de beekdalen").first()
        link = f"\n\n[Lees het verslag]({report.get_absolute_url()})" if report else ""
        staged = today + timedelta(days=60)
        past = event_services.create_meeting(
            actor=anna, region=twente, kind=Meeting.Kind.REGIONAL,
            title="Werksessie waterberging in de beekdalen",
            description="Waterschap, gemeente en provincie spraken met agrariërs over "
                        "waterberging in het beekdal van de Regge." + link,
            starts_at=at(staged, 14), ends_at=at(staged, 17),
            venue_name="Gemeentehuis Twenterand", venue_address="Het Jach 2\n7671 GN Vriezenveen",
            organiser_name="Anna de Vries", organiser_email=anna.email,
            tags=[tags["bodem-en-water"], tags["lessen"]])
        past = event_services.publish_meeting(actor=anna, meeting=past)
        for username in ("carla", "dirk"):
            event_services.register(actor=users[username], meeting=past,
                                    consent_participant_list=True)
        Meeting.objects.filter(pk=past.pk).update(starts_at=at(held, 14), ends_at=at(held, 17))

    def load_invite_only_meeting(self, users, day: date):
        """The bestuurlijke bijeenkomst: only the invited see it."""
        staff = users["beheer"]
        bestuurlijk = event_services.create_meeting(
            actor=staff, kind=Meeting.Kind.BESTUURLIJK, audience=Meeting.Audience.INVITE,
            title="Bestuurlijke Werkplaatsbijeenkomst: de regio's aan tafel",
            description="Bestuurders van Rijk, provincies, gemeenten en waterschappen bespreken "
                        "wat de regio's nodig hebben. Op uitnodiging.",
            starts_at=at(day, 15), ends_at=at(day, 18),
            venue_name="Dorpshuis De Vlist", venue_address="Hoofdweg 77\n3474 KE Zegveld",
            capacity=40, organiser_name="Programmateam Werkplaats",
            organiser_email="werkplaats@demo.werkplaats.local")
        event_services.invite(actor=staff, meeting=bestuurlijk, user=users["bram"])
        event_services.publish_meeting(actor=staff, meeting=bestuurlijk)

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
