"""The realtime prediction stream: each message is scored by the same service as the REST view.

Pipelined messages are answered concurrently with reading: while one group of prediction
messages is scored on a worker thread, the next ones queue, and are then scored together in one
pass through the model (`services.predict_many`). Answers go out in the order the messages came
(so per `request_id` too), each message exactly once; at most `IN_FLIGHT` messages wait, after
which reading pauses until answers go out. Forecast messages are answered one at a time, in turn.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from modeling.selectors import trained_model_get
from predictions import services
from vur import fastjson
from vur.errors import VURError

logger = logging.getLogger(__name__)

IN_FLIGHT = 1024  # messages received and not yet answered, per connection
MAX_GROUP = 256  # prediction messages scored together


def _predict_many_sync(user, messages: list[dict]) -> list:
    return services.predict_many(user=user, messages=messages, source="websocket")


# On a worker thread of its own, not the sync thread every consumer of the process shares.
_predict_many = database_sync_to_async(_predict_many_sync, thread_sensitive=False)


class PredictionConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/predictions/`: `{model_id, data, request_id?}` in, predictions or an error out."""

    async def dispatch(self, message: dict) -> None:
        """Incoming messages skip channels' per-message `close_old_connections` hop to the shared
        sync thread (one thread switch per message, serialising a pipelined stream): this
        consumer touches the database only through `database_sync_to_async`, which closes its
        old connections itself. Connect and disconnect keep the default."""
        if message["type"] == "websocket.receive":
            await self.websocket_receive(message)
            return
        await super().dispatch(message)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not user or not user.is_authenticated:
            await self.close(code=4401)
            return
        self._pending: list[tuple[str, Any, Any]] = []
        self._room = asyncio.Semaphore(IN_FLIGHT)
        self._pump: asyncio.Task | None = None
        await self.accept()

    async def disconnect(self, code) -> None:
        """Stop answering: the queued messages of a closed connection are dropped."""
        pump = getattr(self, "_pump", None)
        if pump is not None and not pump.done():
            pump.cancel()

    async def _enqueue(self, kind: str, request_id, payload) -> None:
        """Queue one message for the pump, waiting while IN_FLIGHT messages are unanswered."""
        await self._room.acquire()
        self._pending.append((kind, request_id, payload))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.ensure_future(self._run_pump())

    async def _run_pump(self) -> None:
        """Answer queued messages in order until none is left."""
        while self._pending:
            kind = self._pending[0][0]
            if kind == "predict":
                n = 0
                while n < min(len(self._pending), MAX_GROUP) and self._pending[n][0] == "predict":
                    n += 1
            else:
                n = 1
            batch, self._pending = self._pending[:n], self._pending[n:]
            try:
                if kind == "predict":
                    await self._answer_group(batch)
                elif kind == "forecast":
                    await self._forecast_message(batch[0][1], batch[0][2])
                else:
                    detail, code = batch[0][2]
                    await self._error(batch[0][1], detail, code)
            finally:
                for _ in batch:
                    self._room.release()

    async def _answer_group(self, batch: list) -> None:
        """Score a group of prediction messages together; send each its answer, in order."""
        try:
            answers = await _predict_many(self.scope["user"], [m for _, _, m in batch])
        except Exception:
            logger.exception("Prediction messages failed")
            answers = [None] * len(batch)
        for (_, request_id, _), answer in zip(batch, answers, strict=True):
            if isinstance(answer, VURError):
                await self._error(request_id, answer.detail, answer.code)
            elif answer is None:
                await self._error(
                    request_id, "The prediction failed on the server.", "server_error"
                )
            else:
                await self.send_json(self._prediction(request_id, answer))

    @staticmethod
    def _prediction(request_id, answer: dict) -> dict:
        return {
            "request_id": request_id,
            "model_id": answer["model_id"],
            "predictions": answer["predictions"],
            **({"probabilities": answer["probabilities"]} if "probabilities" in answer else {}),
            "prediction_ids": answer["prediction_ids"],
            "latency_ms": answer["latency_ms"],
        }

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        """Answers written by orjson (`vur.fastjson`), several times faster than `json`."""
        return fastjson.dumps_text(content)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """Parse JSON ourselves so a malformed message gets an error answer, not a closed socket."""
        try:
            content = fastjson.loads(text_data or bytes_data or b"null")
        except ValueError:  # UnicodeDecodeError is one
            await self._enqueue("error", None, ("The message is not valid JSON.", "bad_json"))
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs) -> None:
        """Queue the message for its answer (see the module docstring for the order)."""
        request_id = content.get("request_id") if isinstance(content, dict) else None
        if isinstance(content, dict) and "model_id" in content and "observations" in content:
            await self._enqueue("forecast", request_id, content)
            return
        if not isinstance(content, dict) or "model_id" not in content or "data" not in content:
            detail = (
                "Send {model_id, data, request_id?}, or {model_id, observations, horizon?, "
                "level?, series_id?, request_id?} for a forecasting model."
            )
            await self._enqueue("error", request_id, (detail, "bad_message"))
            return
        await self._enqueue("predict", request_id, content)

    async def _forecast_message(self, request_id, content: dict) -> None:
        """New observations for a deployed forecaster: the updated forecast, or an error."""
        try:
            answer = await self._forecast(content)
        except VURError as exc:
            await self._error(request_id, exc.detail, exc.code)
            return
        except Exception:  # one bad message never closes the connection
            logger.exception("Live forecast message failed")
            await self._error(request_id, "The forecast failed on the server.", "server_error")
            return
        await self.send_json({"request_id": request_id, **answer})

    @database_sync_to_async
    def _forecast(self, content: dict) -> dict:
        from vur.errors import InvalidInput

        user = self.scope["user"]
        model_id = content["model_id"]
        if isinstance(model_id, bool) or not isinstance(model_id, int):
            raise InvalidInput("model_id must be an integer.", code="bad_model_id")
        level = content.get("level")
        if level is not None and not isinstance(level, list):
            level = [level]
        model = trained_model_get(user=user, model_id=model_id)
        return services.forecast(
            user=user,
            model=model,
            horizon=content.get("horizon"),
            levels=level,
            series_id=content.get("series_id"),
            observations=content["observations"],
            channel="websocket",
        )

    async def _error(self, request_id, detail: str, code: str) -> None:
        await self.send_json({"request_id": request_id, "error": {"detail": detail, "code": code}})
