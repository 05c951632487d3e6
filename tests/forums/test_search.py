"""Full-text search: what is found, by whom, how it is ranked, marked up and paged.

Runs on the configured database: SQLite FTS5 by default, PostgreSQL with DATABASE_URL. Data goes
through forums.services, so the services keep the index in step as they do in production.
"""

from datetime import date, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from forums import search, services
from forums.models import Post, Tag, Thread
from regions.models import Role
from tests.factories import make_member, make_region, make_user

pytestmark = pytest.mark.django_db

ANONYMOUS = AnonymousUser()
FILLER = [
    ("Agenda voor de regiodag", "We beginnen om tien uur in het provinciehuis."),
    ("Verslag van de excursie", "De bus vertrekt vanaf het station."),
    ("Vacature projectleider", "Reageren kan tot het einde van de maand."),
    ("Nieuwe website", "De pagina met contactgegevens is bijgewerkt."),
]


class World:
    """One region with its three forums and a few people, and a second region."""

    def __init__(self):
        self.region = make_region()
        self.members, self.reports, self.questions = \
            services.create_region_forums(region=self.region)
        self.member = make_member(region=self.region)
        self.other_member = make_member(region=self.region)
        self.reporter = make_member(region=self.region, role=Role.REPORTER)
        self.elsewhere = make_region()
        self.elsewhere_forums = services.create_region_forums(region=self.elsewhere)
        self.elsewhere_member = make_member(region=self.elsewhere)

    def thread(self, *, title="Een onderwerp", body="Eerste bericht.", forum=None, author=None,
               **kwargs) -> Thread:
        return services.create_thread(actor=author or self.member,
                                      forum=forum or self.questions,
                                      title=title, body=body, **kwargs)

    def reply(self, thread: Thread, body: str, author=None) -> Post:
        return services.create_post(actor=author or self.other_member, thread=thread, body=body)

    def filler(self):
        """Unrelated documents: bm25 gives words in more than half of all rows no weight."""
        for title, body in FILLER:
            self.thread(title=title, body=body)


@pytest.fixture
def world() -> World:
    return World()


def first_post(thread: Thread) -> Post:
    return thread.posts.get(position=1)


def found(viewer, query: str, **filters) -> set[int]:
    return {hit.post.pk for hit in search.search(viewer=viewer, query=query, **filters).hits}


def fresh(user: User) -> User:
    """The same user without cached memberships, as in a new request."""
    return User.objects.get(pk=user.pk)


# --- What is found -------------------------------------------------------------------------------

def test_a_word_in_a_post_body_is_found(world):
    thread = world.thread(title="Wie heeft ervaring?", body="Wij werken met **mestverwerking**.")
    reply = world.reply(thread, "Hier ook drainage en mestverwerking op kleine schaal.")
    world.filler()

    result = search.search(viewer=ANONYMOUS, query="mestverwerking")

    assert {hit.post.pk for hit in result.hits} == {first_post(thread).pk, reply.pk}
    assert result.total == 2
    assert found(ANONYMOUS, "drainage") == {reply.pk}
    assert found(ANONYMOUS, "onbekendwoord") == set()


def test_a_word_in_a_thread_title_ranks_the_first_post_above_a_reply_mentioning_it(world):
    thread = world.thread(title="Grondwaterpeil in de polder", body="Wat zijn jullie plannen?")
    reply = world.reply(thread, "Bij ons is het grondwaterpeil een punt van discussie met boeren.")
    world.filler()

    hits = search.search(viewer=ANONYMOUS, query="grondwaterpeil").hits

    assert [hit.post.pk for hit in hits] == [first_post(thread).pk, reply.pk]
    assert hits[0].rank > hits[1].rank
    # A reply's hit shows the thread title too, marked where it matches.
    assert hits[1].title_html == "<mark>Grondwaterpeil</mark> in de polder"


def test_a_word_only_in_a_report_section_is_found_with_the_first_post(world):
    thread = world.thread(
        forum=world.reports, author=world.reporter, kind=Thread.Kind.REPORT,
        title="Verslag gebiedsproces", body="Het gebiedsproces liep een jaar.",
        report={"success_factors": "Korte lijnen.", "obstacles": "Wisselende wethouders.",
                "lessons": "Begin vroeg met **kwelwater** in kaart brengen."})
    world.reply(thread, "Mooi verslag, dank je.")
    world.filler()

    assert found(ANONYMOUS, "kwelwater") == {first_post(thread).pk}
    assert found(ANONYMOUS, "wethouders") == {first_post(thread).pk}


def test_changing_a_report_reindexes_it(world):
    thread = world.thread(
        forum=world.reports, author=world.reporter, kind=Thread.Kind.REPORT,
        title="Verslag", body="Inleiding.", report={"lessons": "Denk aan kwelwater."})

    services.edit_post(actor=world.reporter, post=first_post(thread), body="Inleiding.",
                       report={"lessons": "Denk aan bodemdaling."})

    assert found(ANONYMOUS, "kwelwater") == set()
    assert found(ANONYMOUS, "bodemdaling") == {first_post(thread).pk}


# --- Who finds it --------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "sees_members_post"), [
    ("anonymous", False),
    ("logged in, no region", False),
    ("member of another region", False),
    ("member", True),
    ("staff", True),
])
def test_a_members_only_post_is_found_by_members_of_its_region_only(world, who,
                                                                     sees_members_post):
    hidden = world.thread(forum=world.members, title="Intern overleg",
                          body="Over de zandwinning bij de rivier.")
    public = world.thread(forum=world.questions, title="Vraag",
                          body="Wie weet meer over zandwinning?")
    world.filler()
    viewer = {
        "anonymous": lambda: ANONYMOUS,
        "logged in, no region": make_user,
        "member of another region": lambda: world.elsewhere_member,
        "member": lambda: world.other_member,
        "staff": lambda: make_user(staff=True),
    }[who]()

    result = search.search(viewer=fresh(viewer) if viewer.is_authenticated else viewer,
                           query="zandwinning")

    expected = {first_post(public).pk} | ({first_post(hidden).pk} if sees_members_post else set())
    assert {hit.post.pk for hit in result.hits} == expected
    assert result.total == len(expected)  # the count does not betray the hidden post


def test_an_archived_forum_is_not_searched_by_members(world):
    thread = world.thread(forum=world.questions, body="Over de zandwinning.")
    world.questions.is_archived = True
    world.questions.save(update_fields=["is_archived"])

    assert found(fresh(world.member), "zandwinning") == set()
    assert found(make_user(staff=True), "zandwinning") == {first_post(thread).pk}


def test_a_deleted_post_is_not_found(world):
    thread = world.thread(body="Eerste bericht.")
    reply = world.reply(thread, "Dit over blauwalg had ik niet moeten schrijven.")
    assert found(ANONYMOUS, "blauwalg") == {reply.pk}

    services.delete_post(actor=world.other_member, post=reply)

    assert found(ANONYMOUS, "blauwalg") == set()
    assert search.search(viewer=make_user(staff=True), query="blauwalg").total == 0


def test_an_edited_post_is_found_by_its_new_text_only(world):
    thread = world.thread(title="Oude titel", body="Over de kaasmakerij.")
    post = first_post(thread)

    services.edit_post(actor=world.member, post=post, body="Over de zuivelfabriek.",
                       title="Nieuwe titel over weidevogels")

    assert found(ANONYMOUS, "kaasmakerij") == set()
    assert found(ANONYMOUS, "zuivelfabriek") == {post.pk}
    assert found(ANONYMOUS, "weidevogels") == {post.pk}
    assert found(ANONYMOUS, "oude") == set()


def test_a_hard_deleted_post_leaves_the_index(world):
    thread = world.thread(body="Over de ijsvogel.")
    world.reply(thread, "En de ijsvogel broedt weer.")

    thread.delete()  # admin-style: the rows go, the database trigger takes the index rows along

    assert index_rows() == 0


def index_rows() -> int:
    table = {"postgresql": "forums_search_document", "sqlite": "forums_search_fts"}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table[connection.vendor]}")  # noqa: S608
        return cursor.fetchone()[0]


# --- Filters -------------------------------------------------------------------------------------

def test_each_filter_narrows_the_results(world):
    tag = Tag.objects.create(region=world.region, slug="kwel", name="kwel")
    question = world.thread(forum=world.questions, kind=Thread.Kind.QUESTION, tags=[tag],
                            title="Vraag over boomkwekerij", body="Wie kent een boomkwekerij?")
    answer = world.reply(question, "De boomkwekerij in het dorp.", author=world.reporter)
    report = world.thread(forum=world.reports, author=world.reporter, kind=Thread.Kind.REPORT,
                          title="Verslag", body="Bezoek aan een boomkwekerij.", report={})
    elsewhere = services.create_thread(
        actor=world.elsewhere_member, forum=world.elsewhere_forums[2], title="Elders",
        body="Ook hier een boomkwekerij.")
    world.filler()
    q_post, r_post, e_post = first_post(question), first_post(report), first_post(elsewhere)
    everything = {q_post.pk, answer.pk, r_post.pk, e_post.pk}
    assert found(ANONYMOUS, "boomkwekerij") == everything

    assert found(ANONYMOUS, "boomkwekerij", region=world.region) == \
        {q_post.pk, answer.pk, r_post.pk}
    assert found(ANONYMOUS, "boomkwekerij", forum=world.reports) == {r_post.pk}
    assert found(ANONYMOUS, "boomkwekerij", kind=Thread.Kind.QUESTION) == {q_post.pk, answer.pk}
    assert found(ANONYMOUS, "boomkwekerij", kind=Thread.Kind.REPORT) == {r_post.pk}
    assert found(ANONYMOUS, "boomkwekerij", tag="kwel") == {q_post.pk, answer.pk}
    assert found(ANONYMOUS, "boomkwekerij", tag="onbekend") == set()
    assert found(ANONYMOUS, "boomkwekerij", author=world.reporter) == {answer.pk, r_post.pk}
    assert found(ANONYMOUS, "boomkwekerij", region=world.region, author=world.reporter,
                 kind=Thread.Kind.REPORT) == {r_post.pk}


def test_the_date_range_includes_both_whole_days_in_dutch_time(world):
    def post_at(moment: datetime) -> int:
        thread = world.thread(body="Over de hoogstamboomgaard.")
        post = first_post(thread)
        Post.objects.filter(pk=post.pk).update(created_at=timezone.make_aware(moment))
        return post.pk

    january = post_at(datetime(2024, 1, 10, 12, 0))
    march_first = post_at(datetime(2024, 3, 1, 0, 5))
    march_last = post_at(datetime(2024, 3, 31, 23, 30))
    april = post_at(datetime(2024, 4, 1, 0, 10))

    assert found(ANONYMOUS, "hoogstamboomgaard", date_from=date(2024, 3, 1),
                 date_to=date(2024, 3, 31)) == {march_first, march_last}
    assert found(ANONYMOUS, "hoogstamboomgaard", date_from=date(2024, 3, 2)) == \
        {march_last, april}
    assert found(ANONYMOUS, "hoogstamboomgaard", date_to=date(2024, 1, 31)) == {january}


# --- Snippets and queries ------------------------------------------------------------------------

def test_the_snippet_marks_the_match_and_escapes_the_text(world):
    world.thread(title="Titel met <b>opmaak</b> & meer over peilbesluit",
                 body="Iemand schreef <script>alert(1)</script> bij het peilbesluit & de kosten.")
    world.filler()

    hit = search.search(viewer=ANONYMOUS, query="peilbesluit").hits[0]

    assert "<mark>peilbesluit</mark>" in hit.snippet_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hit.snippet_html
    assert "<script>" not in hit.snippet_html
    assert "&amp; de kosten" in hit.snippet_html
    assert hit.title_html == \
        "Titel met &lt;b&gt;opmaak&lt;/b&gt; &amp; meer over <mark>peilbesluit</mark>"


def test_every_word_must_match_in_any_case(world):
    both = world.thread(title="Waterberging", body="Waterberging en natuurinclusief boeren.")
    one = world.thread(title="Alleen", body="Een stuk over waterberging.")
    world.filler()

    assert found(ANONYMOUS, "WATERBERGING natuurinclusief") == {first_post(both).pk}
    assert found(ANONYMOUS, "waterberging") == {first_post(both).pk, first_post(one).pk}


PLAIN_BODEM = {'"bodem', "bodem*", "-bodem", "^bodem", "bodem 🙂", "bodem\x00",
               "bodem " * 100}


@pytest.mark.parametrize("query", [
    "foo AND", "AND", "OR bodem", "NOT", '"', '"bodem', "*", "bodem*", "NEAR(", "NEAR(bodem",
    "-", "-bodem", "a:b", "title:bodem", "document:bodem", "^bodem", "(", ")", "{}", "+",
    "🙂", "bodem 🙂", "\x00", "bodem\x00", "' OR 1=1 --", "%", "_", "\\", "!", "&|", "<->",
    "x" * 1000, "bodem " * 100,
])
def test_queries_with_search_syntax_characters_do_not_raise(world, query):
    thread = world.thread(title="Bodem", body="Over de bodem en foo.")

    result = search.search(viewer=ANONYMOUS, query=query)

    assert isinstance(result, search.SearchPage)
    assert result.total == len(result.hits)
    # The plain words in it still count ("-" is no "not", "*" no prefix, ...); all must match.
    expected = {first_post(thread).pk} if query in PLAIN_BODEM else set()
    assert {hit.post.pk for hit in result.hits} == expected


@pytest.mark.parametrize("query", ["", "   ", "\x00", "\x00 \x00", "a", "a b c", "🙂 !?"])
def test_queries_without_words_give_an_empty_page(world, query):
    world.thread(title="a b c", body="a b c")

    result = search.search(viewer=ANONYMOUS, query=query)

    assert (result.hits, result.total, result.page) == ([], 0, 1)


def test_a_long_query_is_cut_to_200_characters(world):
    thread = world.thread(body="Over de bodem.")

    assert search.search(viewer=ANONYMOUS, query="bodem " + "x" * 300).query == "bodem"
    assert search.search(viewer=ANONYMOUS, query="bodem " * 50).query == " ".join(["bodem"] * 33)
    # Words after the cut do not count, so "bodem" alone matches.
    assert found(ANONYMOUS, "bodem" + " " * 200 + "onbekendwoord") == {first_post(thread).pk}


def test_pages_split_the_results_without_overlap(world):
    posts = [first_post(world.thread(body=f"Stuk {n} over de rietteelt.")) for n in range(5)]
    world.filler()

    pages = [search.search(viewer=ANONYMOUS, query="rietteelt", page=n, per_page=2)
             for n in (1, 2, 3)]

    assert [(p.total, p.num_pages, p.page, len(p.hits)) for p in pages] == \
        [(5, 3, 1, 2), (5, 3, 2, 2), (5, 3, 3, 1)]
    # Equal ranks: newest first.
    assert [hit.post.pk for p in pages for hit in p.hits] == [p.pk for p in reversed(posts)]
    beyond = search.search(viewer=ANONYMOUS, query="rietteelt", page=99, per_page=2)
    assert (beyond.page, [h.post.pk for h in beyond.hits]) == (3, [posts[0].pk])


# Sentences and queries for which Dutch stemming (PostgreSQL) and plain unicode61 tokens (SQLite)
# agree: every query word occurs literally and is no Dutch stop word. PostgreSQL would also match
# inflections ("boer" finds "boeren"), and drops stop words ("de", "het") from queries.
CORPUS = [
    "De provincie investeert in natuurherstel rond het veenweidegebied.",
    "Boeren en waterschap overleggen over het grondwaterpeil in het veenweidegebied.",
    "De gemeente zoekt samenwerking met boeren voor natuurherstel.",
    "Stikstofuitstoot daalt door extensivering van de veehouderij.",
    "Het waterschap meet het grondwaterpeil iedere maand.",
    "Subsidie voor kruidenrijk grasland blijft beschikbaar.",
]


@pytest.mark.parametrize(("query", "expected"), [
    ("veenweidegebied", {0, 1}),
    ("grondwaterpeil waterschap", {1, 4}),
    ("natuurherstel", {0, 2}),
    ("boeren natuurherstel", {2}),
    ("veehouderij", {3}),
    ("kruidenrijk grasland subsidie", {5}),
    ("Waterschap", {1, 4}),
    ("provincie gemeente", set()),
    ("onbekendwoord", set()),
])
def test_both_databases_find_the_same_sentences(world, query, expected):
    posts = [first_post(world.thread(title=f"Bericht {n}", body=text))
             for n, text in enumerate(CORPUS)]

    assert found(ANONYMOUS, query) == {posts[n].pk for n in expected}


# --- Cost ----------------------------------------------------------------------------------------

def test_a_search_costs_the_same_queries_for_2_and_20_hits(world):
    def run(word: str, hits: int) -> int:
        thread = world.thread(title="Lijst", body=f"Eerste over {word}.", forum=world.members)
        for n in range(hits - 1):
            world.reply(thread, f"Reactie {n} over {word}.")
        viewer = fresh(world.member)
        with CaptureQueriesContext(connection) as queries:
            result = search.search(viewer=viewer, query=word, per_page=20)
            for hit in result.hits:  # everything the results page shows
                (hit.post.thread.title, hit.post.thread.forum.name,
                 hit.post.thread.forum.region.name, hit.post.author.display_name,
                 hit.post.get_absolute_url())
        assert len(result.hits) == hits
        return len(queries)

    assert run("knotwilgen", 2) == run("slootkanten", 20)


# --- PostgreSQL: the index is the one used ------------------------------------------------------

@pytest.mark.postgres
def test_postgres_searches_through_the_gin_index(world):
    world.thread(title="Bodem", body="Over de bodem.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes "
                       "WHERE tablename = 'forums_search_document'")
        definitions = " ".join(row[0] for row in cursor.fetchall())
    assert "USING gin (vector)" in definitions

    with CaptureQueriesContext(connection) as queries:
        search.search(viewer=ANONYMOUS, query="bodem")
    count_sql = next(q["sql"] for q in queries if "forums_search_document" in q["sql"])
    with connection.cursor() as cursor:
        # Posts and an index the size of a live site's, with fresh statistics: on a handful of
        # rows (or on statistics earlier tests left behind) the planner rightly skips the index.
        post = Post.objects.filter(is_deleted=False).first()
        cursor.execute(
            "INSERT INTO forums_post (thread_id, author_id, position, body, html, created_at, "
            "edit_count, is_deleted, reaction_counts, idempotency_key, is_hidden, hidden_reason, "
            "moderator_note, is_pending) SELECT %s, %s, 1000 + n, 'ander onderwerp', '', now(), "
            "0, false, '{}', '', false, '', '', false FROM generate_series(1, 5000) n",
            [post.thread_id, post.author_id])
        cursor.execute("INSERT INTO forums_search_document (post_id, document) "
                       "SELECT id, 'ander onderwerp ' || id FROM forums_post WHERE position > 1000")
        cursor.execute("ANALYZE forums_post, forums_search_document")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + count_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "forums_search_document_vector" in plan, plan


@pytest.mark.postgres
def test_postgres_also_finds_inflections(world):
    thread = world.thread(title="Overleg", body="Gesprekken met de gemeenten in de regio.")

    assert found(ANONYMOUS, "gemeente") == {first_post(thread).pk}


# --- Flush (TransactionTestCase, manage.py flush) -----------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_flushing_the_database_empties_the_index():
    world = World()
    world.thread(body="Over de bodem.")
    assert index_rows() == 1

    call_command("flush", interactive=False, verbosity=0)

    assert index_rows() == 0
