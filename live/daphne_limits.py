"""daphne fails a WebSocket with a close frame, as RFC 6455 asks, instead of dropping the TCP
connection.

autobahn, which parses daphne's frames, validates UTF-8 and enforces daphne's size limits
(--websocket-max-message-size / --websocket-max-frame-size, 1 MiB), but by default it "fails
by drop": on invalid UTF-8 (1007), an oversized message (1009) or a protocol error (1002) it
closes the TCP connection without a close frame, and the client sees 1006, the code of a
network failure. daphne offers no option for it, and builds its factory inside Server.run():
this module gives daphne a factory subclass that sets autobahn's failByDrop option to False.
It touches one daphne internal, the name daphne.server.WebSocketFactory;
tests/live/test_daphne_close_codes.py fails when that changes.
"""

from daphne import server as daphne_server
from daphne.ws_protocol import WebSocketFactory


class ClosingWebSocketFactory(WebSocketFactory):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setProtocolOptions(failByDrop=False)  # daphne's own options don't reset it


def install() -> None:
    """Before daphne's Server.run(): community/asgi.py calls it when daphne imports the app."""
    if not isinstance(daphne_server.WebSocketFactory, type) or not issubclass(
            daphne_server.WebSocketFactory, WebSocketFactory):
        raise RuntimeError("daphne.server.WebSocketFactory is not daphne's factory any more: "
                           "see live/daphne_limits.py")
    daphne_server.WebSocketFactory = ClosingWebSocketFactory
