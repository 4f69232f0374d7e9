"""WebSocket relay of a training job's events: stored ones first, then live ones, then close."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from training import selectors
from training.events import event_dict, training_group
from training.models import TrainingJob
from training.serializers import TrainingJobSerializer
from vur.errors import NotFound

# The close code after the "not found" message (4000-4999 are the application's; 4404 reads as
# HTTP's 404, as 4401 is the refusal of a socket without a user).
NOT_FOUND_CLOSE_CODE = 4404


class TrainingJobConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/training/{job_id}/`: replays stored events and the current status, then relays live."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        job_id = self.scope["url_route"]["kwargs"]["job_id"]
        job = await self._job(user, job_id)
        if job is None:
            # Another person's job answers as an unknown one, never a refusal (HTTP 403): the
            # socket opens, says so once with the code REST's 404 gives, and closes.
            await self.accept()
            await self.send_json(
                {"type": "error", "detail": "Training job not found.", "code": NotFound.code}
            )
            await self.close(code=NOT_FOUND_CLOSE_CODE)
            return
        self.job_id = job.pk
        self.group = training_group(job.pk)
        # Every seq sent, not just the highest: events commit (and are broadcast) in commit
        # order, which is not always seq order, and a final status must never be dropped.
        self.sent: set[int] = set()
        self.ended = False
        # Join before replaying so nothing published in between is lost; replays are deduped by seq.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        events, status = await self._replay()
        for event in events:
            await self._forward(event)
        await self.send_json({"type": "status", "replay": True, **status})
        if status["status"] in TrainingJob.TERMINAL:
            await self._end()

    @database_sync_to_async
    def _job(self, user, job_id) -> TrainingJob | None:
        try:
            return selectors.training_job_get(user=user, job_id=job_id)
        except NotFound:
            return None

    @database_sync_to_async
    def _replay(self):
        # The job first, its events second: a terminal status commits together with its final
        # status event, so a job read as ended always comes with that event in the replay.
        job = TrainingJob.objects.get(pk=self.job_id)
        events = [event_dict(e) for e in selectors.training_events_after(job_id=self.job_id)]
        return events, dict(TrainingJobSerializer(job).data)

    async def _forward(self, event: dict) -> None:
        if event["seq"] in self.sent:
            return
        self.sent.add(event["seq"])
        await self.send_json(event)

    async def _end(self) -> None:
        """Close once, after the final status went out; later group messages are ignored."""
        self.ended = True
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.close()

    async def training_event(self, message: dict) -> None:
        """Group handler for `training.event`: relay, and close after the final status."""
        if self.ended:
            return
        event = message["event"]
        await self._forward(event)
        if event["type"] == "status" and event.get("status") in TrainingJob.TERMINAL:
            await self._end()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group") and not self.ended:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        """Clients only listen; a ping gets a pong."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
