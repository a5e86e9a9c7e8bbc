"""A ticket to open the notifications WebSocket from an app (bearer tokens never go in URLs)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from notifications.services.tickets import SOCKET_PATH, TICKET_SECONDS, socket_ticket_issue


class SocketTicketOutput(serializers.Serializer[dict[str, Any]]):
    ticket = serializers.CharField(
        read_only=True, help_text="Opens one connection, once, within `expires_in` seconds."
    )
    expires_in = serializers.IntegerField(read_only=True, min_value=1, help_text="Seconds.")
    url = serializers.CharField(
        read_only=True,
        help_text="The path to open, ticket included, on this host with wss:// (ws:// locally).",
    )

    class Meta:
        ref_name = "SocketTicket"


_EXAMPLE = OpenApiExample(
    "A ticket",
    value={
        "ticket": "q3Zk0cUAy4dJ8m6Y1tW2gN5vB7xR9sLhPfE3oKaIuQj",
        "expires_in": TICKET_SECONDS,
        "url": f"{SOCKET_PATH}?ticket=q3Zk0cUAy4dJ8m6Y1tW2gN5vB7xR9sLhPfE3oKaIuQj",
    },
    response_only=True,
    status_codes=["201"],
)


class SocketTicketApi(APIView):
    @extend_schema(
        tags=["notifications"],
        summary="A ticket to open the live notifications socket",
        operation_id="notifications_socket_ticket",
        description=(
            "Apps open `/ws/notifications/?ticket=...` with it instead of sending the access "
            "token in the URL. A ticket works once and for "
            f"{TICKET_SECONDS} seconds; ask for a new one for every connection (and every "
            "reconnection). The socket sends `hello` with the unread count, then "
            "`notification` and `unread_count` messages; send `ping` to get `pong`. A refused "
            "socket is closed before it opens (code 4401 where the client can see it)."
        ),
        request=None,
        responses={201: SocketTicketOutput},
        examples=[_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        ticket = socket_ticket_issue(user=signed_in_user(request))
        return Response(
            SocketTicketOutput(
                {
                    "ticket": ticket,
                    "expires_in": TICKET_SECONDS,
                    "url": f"{SOCKET_PATH}?ticket={ticket}",
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )
