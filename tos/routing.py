"""WebSocket routes, collected from the apps that have live views."""

from django.urls import path

from tos.core.consumers import TerminalConsumer

websocket_urlpatterns = [
    path("ws/terminal/<int:terminal_id>/", TerminalConsumer.as_asgi()),
]
