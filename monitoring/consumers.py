"""`/ws/alerts/`: the signed-in user's alerts as they are raised (the open ones first)."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from monitoring import selectors, services


class AlertConsumer(AsyncJsonWebsocketConsumer):
    """Joins `alerts.<user_id>`, sends the open alerts, then relays each new one."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not user or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = services.alert_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        for alert in await self._open():
            await self.send_json({"type": "alert", "alert": alert})

    async def disconnect(self, code) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        """The stream is one way; anything sent is answered with an error, never a close."""
        await self.send_json({"error": {"detail": "This stream only sends.", "code": "read_only"}})

    async def alerts_new(self, event: dict) -> None:
        """Relay a new alert."""
        await self.send_json({"type": "alert", "alert": event["alert"]})

    @database_sync_to_async
    def _open(self) -> list[dict]:
        user = self.scope["user"]
        return [services.alert_payload(a) for a in selectors.alert_list_open(user=user)[:50]]
