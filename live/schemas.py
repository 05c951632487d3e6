"""The live vocabulary: every message that crosses a socket or the channel layer, its fields
and their types. docs/live-protocol.md says what they mean; tests/live/test_protocol_contract.py
holds this module, that document and what the services really send to each other.

Each message is a TypedDict whose `type` is a Literal of its wire name. A field a message
carries only sometimes is NotRequired. Nothing checks messages at run time: the contract test
does, on messages captured from the real services and sockets.
"""

import types
from typing import Literal, NotRequired, TypedDict, Union, get_args, get_origin, get_type_hints

# --- Thread events (§4, §5): stored, numbered per thread, replayed ------------------------------


class _ThreadEvent(TypedDict):
    thread_id: int
    seq: int


class _PostEvent(_ThreadEvent):
    post_id: int
    position: int
    author_id: int
    html: str  # in the reader's language; stored and sent on the layer as {language: html}


class PostCreated(_PostEvent):
    type: Literal["post.created"]
    idempotency_key: str
    page: int


class PostEdited(_PostEvent):
    type: Literal["post.edited"]


class PostDeleted(_PostEvent):
    type: Literal["post.deleted"]


class PostReactions(_PostEvent):
    type: Literal["post.reactions"]


class PostHidden(_PostEvent):
    type: Literal["post.hidden"]


class PostRestored(_PostEvent):
    type: Literal["post.restored"]


class PostMoved(_ThreadEvent):
    type: Literal["post.moved"]
    post_id: int
    to_thread_id: int


class ThreadUpdated(_ThreadEvent):
    type: Literal["thread.updated"]
    title: str
    is_locked: bool
    is_pinned: bool
    accepted_post_id: int | None


class ThreadMoved(_ThreadEvent):
    type: Literal["thread.moved"]
    forum_id: int


class ThreadMerged(_ThreadEvent):
    type: Literal["thread.merged"]
    into_thread_id: int
    url: str


class PostsMerged(_ThreadEvent):
    type: Literal["posts.merged"]
    from_thread_id: int
    post_ids: list[int]


class PostsSplit(_ThreadEvent):
    type: Literal["posts.split"]
    to_thread_id: int
    post_ids: list[int]


# --- Other server → client frames -------------------------------------------------------------


class Pong(TypedDict):
    type: Literal["pong"]
    seq: NotRequired[int]  # thread sockets only


class Error(TypedDict):
    type: Literal["error"]
    code: str
    field: NotRequired[str]  # with invalid_field only


class Hello(TypedDict):
    type: Literal["hello"]
    thread_id: int
    seq: int


class Resync(TypedDict):
    type: Literal["resync"]
    seq: int


class Reader(TypedDict):
    user_id: int
    name: str


class Presence(TypedDict):
    type: Literal["presence"]
    readers: list[Reader]
    anonymous: int
    members: NotRequired[int]  # to anonymous sockets, whose `readers` is empty


class Typing(TypedDict):
    type: Literal["typing"]
    user_id: int
    name: str


class NotificationsState(TypedDict):
    type: Literal["notifications.state"]
    unread: int


class QueueChanged(TypedDict):
    type: Literal["queue.changed"]
    region_id: int | None


# --- Client → server (§3) ---------------------------------------------------------------------


class Resume(TypedDict):
    type: Literal["resume"]
    last_seq: int


class Ping(TypedDict):
    type: Literal["ping"]


class TypingSignal(TypedDict):
    type: Literal["typing"]


# --- Between the site and its sockets, over the channel layer (§12) ---------------------------


class ThreadEventMessage(TypedDict):
    type: Literal["thread.event"]
    event: dict  # a thread event as stored (html per language): see frame_for_language


class ThreadTyping(TypedDict):
    type: Literal["thread.typing"]
    user_id: int
    name: str
    sender: str  # the typing socket's channel, which does not hear itself


class ThreadPresence(TypedDict):
    type: Literal["thread.presence"]
    readers: list[Reader]
    anonymous: int


class ThreadAccessChanged(TypedDict):
    type: Literal["thread.access_changed"]


class SessionEnded(TypedDict):
    type: Literal["session.ended"]
    session_key: str  # broadcast.session_fingerprint, never the key itself


class AccountChanged(TypedDict):
    type: Literal["account.changed"]


class MembershipRevoked(TypedDict):
    type: Literal["membership.revoked"]
    region_id: int


class ParticipationChanged(TypedDict):
    type: Literal["participation.changed"]


class NotificationNew(TypedDict):
    type: Literal["notification.new"]


def _by_type(*schemas: type) -> dict[str, type]:
    return {get_args(get_type_hints(schema)["type"])[0]: schema for schema in schemas}


THREAD_EVENTS = _by_type(PostCreated, PostEdited, PostDeleted, PostReactions, PostHidden,
                         PostRestored, PostMoved, ThreadUpdated, ThreadMoved, ThreadMerged,
                         PostsMerged, PostsSplit)

# What each kind of socket sends its client, by the socket's path: /ws/ping/, /ws/threads/<id>/,
# /ws/notifications/, /ws/moderation/[<region_id>/]. Every socket may send the "base" frames.
SOCKET_FRAMES = {
    "base": _by_type(Pong, Error),
    "ping": {},
    "thread": {**_by_type(Hello, Resync, Presence, Typing), **THREAD_EVENTS},
    "notifications": _by_type(NotificationsState),
    "moderation": _by_type(QueueChanged),
}

# What clients may send (every socket takes ping; only thread sockets take the rest).
CLIENT_MESSAGES = _by_type(Resume, Ping, TypingSignal)

# Channel-layer messages by the kind of group they go to (live.broadcast names the groups:
# "thread.42", "user.7", "notifications.7", "moderation.3" or "moderation.all").
GROUP_MESSAGES = {
    "thread": _by_type(ThreadEventMessage, ThreadTyping, ThreadPresence, ThreadAccessChanged),
    "user": _by_type(SessionEnded, AccountChanged, MembershipRevoked, ParticipationChanged),
    "notifications": _by_type(NotificationNew),
    "moderation": _by_type(QueueChanged),
}


def frames_of(socket_kind: str) -> dict[str, type]:
    """Every frame a socket of this kind may send its client."""
    return {**SOCKET_FRAMES["base"], **SOCKET_FRAMES[socket_kind]}


def group_kind(group: str) -> str:
    """"thread.42" → "thread"."""
    return group.split(".", 1)[0]


def problems(message: object, schemas: dict[str, type]) -> list[str]:
    """What is wrong with `message` as one of `schemas` (by its type); [] if nothing."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return [f"not a message with a string type: {message!r}"]
    schema = schemas.get(message["type"])
    if schema is None:
        return [f"undeclared type {message['type']!r}"]
    return [f"{message['type']}: {problem}" for problem in _object_problems(message, schema)]


def _object_problems(value: dict, schema: type) -> list[str]:
    hints = get_type_hints(schema)
    found = [f"missing field {name!r}" for name in sorted(schema.__required_keys__)
             if name not in value]
    found += [f"undeclared field {name!r}" for name in sorted(value) if name not in hints]
    for name, expected in hints.items():
        if name in value:
            found += [f"{name}{problem}" for problem in _value_problems(value[name], expected)]
    return found


def _value_problems(value: object, expected) -> list[str]:
    origin = get_origin(expected)
    if origin is Literal:
        return [] if value in get_args(expected) else [f" is {value!r}, not one of "
                                                       f"{get_args(expected)}"]
    if origin in (Union, types.UnionType):
        options = get_args(expected)
        if any(not _value_problems(value, option) for option in options):
            return []
        return [f" is {_name(value)}, not {' or '.join(_name_of(o) for o in options)}"]
    if origin is list:
        if not isinstance(value, list):
            return [f" is {_name(value)}, not a list"]
        (item,) = get_args(expected)
        return [f"[{n}]{problem}" for n, element in enumerate(value)
                for problem in _value_problems(element, item)]
    if isinstance(expected, type) and issubclass(expected, dict) and hasattr(expected,
                                                                             "__required_keys__"):
        if not isinstance(value, dict):
            return [f" is {_name(value)}, not an object"]
        return [f".{problem}" for problem in _object_problems(value, expected)]
    if expected is type(None):
        return [] if value is None else [f" is {_name(value)}, not null"]
    # JSON has one number type, but a count is never true or false: bool is not an int here.
    if isinstance(value, bool) and expected is not bool:
        return [f" is a bool, not {_name_of(expected)}"]
    return [] if isinstance(value, expected) else [f" is {_name(value)}, not "
                                                   f"{_name_of(expected)}"]


def _name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _name_of(expected) -> str:
    return "null" if expected is type(None) else getattr(expected, "__name__", str(expected))
