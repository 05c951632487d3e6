"""live/schemas.py's check finds each kind of mistake (the contract test relies on it), and
live/broadcast.py is the one module of the site that touches the channel layer."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from live import schemas

THREAD = schemas.frames_of("thread")


def updated(**fields) -> dict:
    return {"type": "thread.updated", "thread_id": 4, "seq": 9, "title": "Peilbuizen",
            "is_locked": False, "is_pinned": True, "accepted_post_id": None, **fields}


@pytest.mark.parametrize(("message", "expected"), [
    (updated(), []),
    (updated(accepted_post_id=12), []),
    ({"type": "post.flown", "thread_id": 4, "seq": 9}, ["undeclared type 'post.flown'"]),
    ({"thread_id": 4}, ["not a message with a string type: {'thread_id': 4}"]),
    (updated(colour="red"), ["thread.updated: undeclared field 'colour'"]),
    ({k: v for k, v in updated().items() if k != "title"},
     ["thread.updated: missing field 'title'"]),
    (updated(seq="9"), ["thread.updated: seq is str, not int"]),
    (updated(seq=True), ["thread.updated: seq is a bool, not int"]),
    (updated(is_locked=0), ["thread.updated: is_locked is int, not bool"]),
    (updated(accepted_post_id="12"), ["thread.updated: accepted_post_id is str, not int or null"]),
    ({"type": "pong"}, []),
    ({"type": "pong", "seq": 3}, []),
    ({"type": "error", "code": "invalid_field", "field": 7}, ["error: field is int, not str"]),
    ({"type": "presence", "readers": [{"user_id": 5, "name": "Anna"}], "anonymous": 1}, []),
    ({"type": "presence", "readers": [{"user_id": 5}], "anonymous": 1},
     ["presence: readers[0].missing field 'name'"]),
    ({"type": "presence", "readers": {"user_id": 5}, "anonymous": 1},
     ["presence: readers is dict, not a list"]),
    ({"type": "posts.split", "thread_id": 4, "seq": 9, "to_thread_id": 5, "post_ids": [1, None]},
     ["posts.split: post_ids[1] is null, not int"]),
])
def test_a_message_is_checked_field_by_field(message, expected):
    assert schemas.problems(message, THREAD) == expected


def test_a_message_is_checked_against_its_own_socket_or_group():
    state = {"type": "notifications.state", "unread": 2}
    assert schemas.problems(state, schemas.frames_of("notifications")) == []
    assert schemas.problems(state, THREAD) == ["undeclared type 'notifications.state'"]
    assert schemas.group_kind("moderation.all") == "moderation"
    assert schemas.problems({"type": "membership.revoked", "region_id": 3},
                            schemas.GROUP_MESSAGES[schemas.group_kind("user.7")]) == []
    assert schemas.problems({"type": "membership.revoked", "region_id": 3},
                            schemas.GROUP_MESSAGES["thread"]) == [
        "undeclared type 'membership.revoked'"]


CHANNEL_LAYER_NAMES = {"get_channel_layer", "channel_layer", "channel_layers", "group_send",
                       "group_add", "group_discard"}
SITE_PACKAGES = ("core", "live", "accounts", "regions", "forums", "notifications", "moderation",
                 "community")


def test_only_live_broadcast_touches_the_channel_layer():
    """Group names and every send, join and leave are in one module (STYLE.md, "Real-time")."""
    root = Path(settings.BASE_DIR)
    touching = []
    for package in SITE_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if path == root / "live" / "broadcast.py" or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                name = (node.attr if isinstance(node, ast.Attribute)
                        else node.id if isinstance(node, ast.Name)
                        else node.name if isinstance(node, ast.alias) else None)
                if name and name.rsplit(".", 1)[-1] in CHANNEL_LAYER_NAMES:
                    touching.append(f"{path.relative_to(root)}:{node.lineno}")
    assert touching == []
