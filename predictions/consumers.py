"""The realtime prediction stream: each message is scored by the same service as the REST view."""

from __future__ import annotations

import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from modeling.selectors import trained_model_get
from predictions import services
from vur.errors import VURError

logger = logging.getLogger(__name__)


class PredictionConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/predictions/`: `{model_id, data, request_id?}` in, predictions or an error out."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not user or not user.is_authenticated:
            await self.close(code=4401)
            return
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """Parse JSON ourselves so a malformed message gets an error answer, not a closed socket."""
        import json

        try:
            content = json.loads(text_data or (bytes_data or b"").decode() or "null")
        except (ValueError, UnicodeDecodeError):
            await self._error(None, "The message is not valid JSON.", "bad_json")
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs) -> None:
        request_id = content.get("request_id") if isinstance(content, dict) else None
        if isinstance(content, dict) and "model_id" in content and "observations" in content:
            await self._forecast_message(request_id, content)
            return
        if not isinstance(content, dict) or "model_id" not in content or "data" not in content:
            await self._error(
                request_id,
                "Send {model_id, data, request_id?}, or {model_id, observations, horizon?, "
                "level?, series_id?, request_id?} for a forecasting model.",
                "bad_message",
            )
            return
        try:
            answer = await self._predict(content)
        except VURError as exc:
            await self._error(request_id, exc.detail, exc.code)
            return
        except Exception:  # one bad message never closes the connection
            await self._error(request_id, "The prediction failed on the server.", "server_error")
            return
        await self.send_json(
            {
                "request_id": request_id,
                "model_id": answer["model_id"],
                "predictions": answer["predictions"],
                **({"probabilities": answer["probabilities"]} if "probabilities" in answer else {}),
                "prediction_ids": answer["prediction_ids"],
                "latency_ms": answer["latency_ms"],
            }
        )

    @database_sync_to_async
    def _predict(self, content: dict) -> dict:
        user = self.scope["user"]
        model_id = content["model_id"]
        if isinstance(model_id, bool) or not isinstance(model_id, int):
            from vur.errors import InvalidInput

            raise InvalidInput("model_id must be an integer.", code="bad_model_id")
        model = trained_model_get(user=user, model_id=model_id)
        return services.predict_rows(
            user=user,
            model=model,
            data=content["data"],
            return_probabilities=bool(content.get("return_probabilities", True)),
            source="websocket",
        )

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
