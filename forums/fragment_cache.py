"""Rendered thread HTML kept in the cache: the fragments every reader of a page sees alike and
the whole page for anonymous readers (forums/thread_page.py).

A change to a thread moves its event sequence, which is in every key. What the thread does not
know about are the names on it: a post shows its author's name and organisation, a reaction
the names of who reacted, the page its forum's and region's names and its tags. So each value
is stored with the "names generation" it was rendered in, read in the same round trip as the
values; a saved change to such a name moves the generation after its commit (forums/apps.py),
and whatever was rendered before is rendered again when it is next asked for. A lost
generation key (eviction, a Redis restart) starts a new generation: it only costs renders.
"""

import logging
import uuid

from django.core.cache import cache

logger = logging.getLogger(__name__)

TIMEOUT = 24 * 3600
GENERATION_KEY = "forums:names-generation"


def get_many(keys: dict[str, str]) -> tuple[dict[str, str | None], object]:
    """{name: html or None} for {name: cache key}, and the generation to store renders with."""
    found = cache.get_many([GENERATION_KEY, *keys.values()])
    generation = _started(found.get(GENERATION_KEY))
    return {name: _current(found.get(key), generation) for name, key in keys.items()}, \
        generation


def set_many(values: dict[str, str], generation) -> None:
    """{cache key: html} rendered in `generation` (as get_many returned it)."""
    cache.set_many({key: (generation, html) for key, html in values.items()}, TIMEOUT)


def generation():
    """For a render that does not start with get_many: read before the render reads data."""
    return _started(cache.get(GENERATION_KEY))


def names_changed() -> None:
    """After a commit that changed a name: the change stays saved whatever Redis answers (if it
    cannot be told, cached pages show the old name until their thread changes, at most a day)."""
    try:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    except Exception:  # noqa: BLE001 - e.g. a read-only replica after a failover
        logger.warning("forums: could not start a new names generation", exc_info=True)


def _started(generation):
    """A lost generation (eviction, a Redis restart) starts a new one, never "none": what was
    stored under the lost one, or before any, must not count as current again."""
    if generation is not None:
        return generation
    fresh = uuid.uuid4().hex
    if cache.add(GENERATION_KEY, fresh, None):
        return fresh
    return cache.get(GENERATION_KEY) or fresh


def _current(value, generation) -> str | None:
    if isinstance(value, tuple) and len(value) == 2 and value[0] == generation:
        return value[1]
    return None
