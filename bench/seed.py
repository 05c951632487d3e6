"""Seed the benchmark database through the real services (run by bench/run).

A thread of 500 posts by 30 members of one region in its public "vragen-en-antwoorden" forum,
reactions on about a third of them, and 20 smaller threads of 5-20 posts. Writes what the
benchmark needs (ids, URLs, logins) as JSON to the path given as the only argument.

Environment: DJANGO_SETTINGS_MODULE, DATABASE_URL, REDIS_URL (the same as the served site).
"""

import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")
# Seeded members post fast and are new: the posting limits and the new-member guard would hold
# or refuse what the benchmark measures (community/settings.py).
for _name in ("FORUM_POSTS_PER_MINUTE", "FORUM_NEW_ACCOUNT_THREADS_PER_HOUR",
              "MODERATION_NEW_MEMBER_GUARD"):
    os.environ.setdefault(_name, "0")

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402

from accounts import services as account_services  # noqa: E402
from accounts.models import GovernmentLayer, User  # noqa: E402
from forums import rendering, services  # noqa: E402
from forums.models import POSTS_PER_PAGE, Reaction, Thread  # noqa: E402
from regions.models import Membership, Region, Role  # noqa: E402

REGION_SLUG = "twente"
FORUM_SLUG = "vragen-en-antwoorden"
PASSWORD = "bench-Werkplaats-2026!"
USERS = 30
BIG_THREAD_POSTS = 500
SMALL_THREADS = 20

rng = random.Random(20260101)

FIRST = ["Anouk", "Bram", "Charlotte", "Daan", "Eva", "Floris", "Gerda", "Hidde", "Ilse", "Joost",
         "Karin", "Lars", "Marieke", "Niels", "Olga", "Pieter", "Quirine", "Ruud", "Sanne", "Thijs",
         "Ursula", "Vincent", "Wendy", "Xander", "Yvonne", "Zeger", "Femke", "Jeroen", "Lotte",
         "Maarten"]
LAST = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
        "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
        "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok",
        "Jacobs", "de Haan", "Vermeulen", "van den Berg", "van Dijk", "Kuipers", "Post"]
ORGS = [
    (GovernmentLayer.GEMEENTE, "Gemeente Enschede"), (GovernmentLayer.GEMEENTE, "Gemeente Hengelo"),
    (GovernmentLayer.GEMEENTE, "Gemeente Almelo"), (GovernmentLayer.GEMEENTE, "Gemeente Tubbergen"),
    (GovernmentLayer.PROVINCIE, "Provincie Overijssel"),
    (GovernmentLayer.WATERSCHAP, "Waterschap Vechtstromen"),
    (GovernmentLayer.RIJK, "Ministerie van LVVN"), (GovernmentLayer.RIJK, "Rijksvastgoedbedrijf"),
    (GovernmentLayer.ANDERS, "Wageningen University & Research"),
]
TOPICS = ["de stikstofaanpak", "het gebiedsprogramma", "de grondbank", "extensivering",
          "het beekdal", "de KRW-opgave", "natuurinclusieve landbouw", "de vergunningverlening",
          "het grondwaterpeil", "de kavelruil", "de keukentafelgesprekken", "het landschapsplan",
          "de subsidieregeling", "de bufferzones", "het Nationaal Programma Landelijk Gebied"]
OPENERS = [
    "Goede vraag, hier in {org} lopen we tegen precies hetzelfde aan bij {topic}.",
    "Wij hebben vorig jaar een pilot gedaan rond {topic} en een paar dingen geleerd.",
    "Kort antwoord: het kan, maar regel de afspraken over {topic} vooraf goed.",
    "Herkenbaar. Bij ons bleek {topic} vooral een kwestie van vertrouwen opbouwen.",
    "Dank voor het delen! Aanvulling vanuit {org} over {topic}:",
    "Ik sluit me aan bij de vorige reacties, maar wil één punt over {topic} toevoegen.",
]
SENTENCES = [
    "De provincie trekt het proces, maar de gemeenten leveren de gebiedskennis.",
    "Zorg dat het waterschap vanaf het begin aan tafel zit, anders moet je later alles overdoen.",
    "Agrariërs willen vooral duidelijkheid over de termijn en de vergoeding.",
    "We hebben de planning met drie maanden verlengd om de ruimtelijke inpassing goed te doen.",
    "Het helpt enorm als één contactpersoon het gesprek met de ondernemers voert.",
    "De regeling is ingewikkeld, dus we hebben een korte handreiking op één A4 gemaakt.",
    "Let op de samenloop met de omgevingsvisie; daar zaten bij ons de meeste knelpunten.",
    "Monitoring kost meer tijd dan je denkt, reken op minstens een halve fte.",
    "Met de grondbank konden we kavels tijdelijk aanhouden tot de ruil rond was.",
    "Het bestuurlijk overleg gaf uiteindelijk de doorslag om door te zetten.",
    "In de eerste fase hebben we vooral geluisterd en nog niets beloofd.",
    "De data over grondwaterstanden kwamen uit het meetnet van het waterschap.",
    "We delen de ervaringen graag in de volgende regiobijeenkomst.",
    "Juridisch is het lastig, want de huidige bestemming laat weinig ruimte.",
    "Er is budget tot eind volgend jaar, daarna moet het structureel geregeld zijn.",
]
LIST_ITEMS = ["een heldere kaart van het gebied", "afspraken over wie wat betaalt",
              "een vaste overlegstructuur", "een realistische planning",
              "ruimte voor maatwerk per bedrijf", "terugkoppeling naar de gemeenteraad",
              "een gezamenlijke monitoringsopzet", "korte lijnen met de provincie"]
LINKS = [("de handreiking van het programma", "https://www.vitaalplatteland.nl/handreiking"),
         ("het verslag van de bijeenkomst", "https://www.rijksoverheid.nl/onderwerpen/platteland"),
         ("de kaart van het waterschap", "https://www.vechtstromen.nl/kaarten"),
         ("de subsidievoorwaarden", "https://www.rvo.nl/subsidies-financiering")]
TITLES = ["Ervaringen met {topic}?", "Wie heeft een voorbeeld van {topic}?",
          "Vraag over {topic} in de praktijk", "Hoe organiseren jullie {topic}?",
          "Tips gezocht: {topic}", "Planning van {topic}"]


def body_text(author: User, others: list[User], *, mention: bool) -> str:
    org = author.profile.organisation
    topic = rng.choice(TOPICS)
    parts = [rng.choice(OPENERS).format(org=org, topic=topic)]
    sentences = rng.sample(SENTENCES, rng.randint(2, 4))
    bold = rng.randrange(len(sentences))
    sentences[bold] = f"**{sentences[bold]}**"
    parts.append(" ".join(sentences))
    if rng.random() < 0.5:
        parts.append("Wat bij ons werkte:\n\n" + "\n".join(
            f"- {item}" for item in rng.sample(LIST_ITEMS, rng.randint(2, 4))))
    if rng.random() < 0.4:
        label, url = rng.choice(LINKS)
        parts.append(f"Zie ook [{label}]({url}).")
    if mention:
        parts.append(f"@{rng.choice(others).username} weet hier meer van, denk ik.")
    text = "\n\n".join(parts)
    while len(text) < 300:
        text += " " + rng.choice(SENTENCES)
    if len(text) > 800:
        text = text[:790].rsplit(" ", 1)[0] + "…"
    return text


def make_users(region: Region) -> list[User]:
    hashed = make_password(PASSWORD)  # one hash for all: creating users stays fast
    users = []
    for i in range(USERS):
        layer, org = ORGS[i % len(ORGS)]
        username = f"bench{i + 1:02d}"
        user = User.objects.create(username=username, email=f"{username}@bench.werkplaats.local",
                                   password=hashed)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        account_services.create_profile(user=user, display_name=f"{FIRST[i]} {LAST[i]}",
                                        government_layer=layer, organisation=org,
                                        job_title="Projectleider landelijk gebied")
        Membership.objects.create(user=user, region=region, role=Role.MEMBER)
        users.append(user)
    return users


def fill_thread(thread: Thread, users: list[User], count: int, label: str) -> None:
    started = time.monotonic()
    recent = []
    for n in range(count):
        author = rng.choice(users)
        others = [u for u in users if u.pk != author.pk]
        body = body_text(author, others, mention=rng.random() < 0.1)
        quote_of = None
        if recent and rng.random() < 0.1:
            quote_of = rng.choice(recent[-10:])
            excerpt = quote_of.body.split("\n\n")[0][:200]
            body = rendering.quote_markdown(author_name=quote_of.author.display_name,
                                            post_url=quote_of.get_absolute_url(),
                                            body=excerpt) + body
            body = body[:1200]
        post = services.create_post(actor=author, thread=thread, body=body, quote_of=quote_of)
        recent.append(post)
        if rng.random() < 0.33:
            for reactor in rng.sample(others, rng.randint(1, 4)):
                services.toggle_reaction(actor=reactor, post=post,
                                         kind=rng.choice(Reaction.Kind.values))
        if (n + 1) % 100 == 0:
            print(f"  {label}: {n + 1}/{count} posts ({time.monotonic() - started:.0f} s)",
                  flush=True)


def wait_for_tasks(limit: float = 120) -> None:
    """Background tasks the seeding queued (notifications, ...) must not run during the
    measurements: wait until the prod-local worker has drained the queue."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        return
    deadline = time.monotonic() + limit
    while True:
        pending = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()
        if not pending:
            return
        if time.monotonic() > deadline:
            print(f"seed: warning: {pending} background task(s) still queued", flush=True)
            return
        print(f"seed: waiting for {pending} background task(s)", flush=True)
        time.sleep(2)


def main() -> None:
    out = Path(sys.argv[1])
    started = time.monotonic()
    region = Region.objects.get(slug=REGION_SLUG)
    forums = {f.slug: f for f in services.create_region_forums(region=region)}
    forum = forums[FORUM_SLUG]
    users = make_users(region)
    print(f"seed: {len(users)} members of {region.slug}", flush=True)

    big = services.create_thread(
        actor=users[0], forum=forum, title="Ervaringen met de gebiedsprocessen in Twente",
        body=body_text(users[0], users[1:], mention=False), kind=Thread.Kind.QUESTION)
    fill_thread(big, users, BIG_THREAD_POSTS - 1, "big thread")
    for i in range(SMALL_THREADS):
        author = rng.choice(users)
        thread = services.create_thread(
            actor=author, forum=forum,
            title=rng.choice(TITLES).format(topic=rng.choice(TOPICS)) + f" ({i + 1})",
            body=body_text(author, [u for u in users if u != author], mention=False),
            kind=rng.choice([Thread.Kind.QUESTION, Thread.Kind.DISCUSSION]))
        fill_thread(thread, users, rng.randint(5, 20) - 1, f"small thread {i + 1}")
    print(f"seed: 20 smaller threads done ({time.monotonic() - started:.0f} s)", flush=True)

    big.refresh_from_db()
    assert big.last_position == BIG_THREAD_POSTS, big.last_position
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    info = {
        "region": region.slug,
        "forum_id": forum.pk,
        "forum_url": forum.get_absolute_url(),
        "thread_id": big.pk,
        "thread_url": big.get_absolute_url(),
        "reply_url": f"/onderwerp/{big.pk}/reageren/",
        "posts": big.last_position,
        "posts_per_page": POSTS_PER_PAGE,
        "last_page": big.page_count,
        "password": PASSWORD,
        "reader_email": users[1].email,   # the logged-in wrk runs
        "replier_email": users[2].email,  # the reply-creation run
        "seed_seconds": round(time.monotonic() - started, 1),
    }
    wait_for_tasks()
    out.write_text(json.dumps(info, indent=2))
    print(f"seed: done in {info['seed_seconds']} s: {json.dumps(info)}", flush=True)


if __name__ == "__main__":
    main()
