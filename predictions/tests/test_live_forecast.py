"""Live forecasting through the API and the WebSocket: observations advance a deployed
forecaster's state (kept per deployment and series in the database), count as actuals, and bad
batches change nothing; forecast feedback records actuals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.core.files import File
from rest_framework_simplejwt.tokens import AccessToken

from conftest import sample_path
from modeling.artifacts import artifact_cache_clear, artifact_save
from modeling.forecasters import (
    ETSForecaster,
    PreparedForecaster,
    SeasonalNaiveForecaster,
    ThetaForecaster,
)
from modeling.models import TrainedModel
from predictions.models import Deployment, ForecastActual, ForecastState, PredictionRecord
from vur.asgi import application

H = 6
START = pd.Timestamp("2024-01-01")


def _series(n: int, seed: int = 0, level: float = 100.0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = level + 0.2 * t + 6 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1.5, n)
    return pd.Series(values, index=pd.date_range(START, periods=n, freq="D"))


def _store_model(
    owner, forecasters: dict, id_column: str | None, name: str, **extra: Any
) -> TrainedModel:
    """A ForecastModel fitted in-process, saved like training saves one (no deployment)."""
    from datasets.services import dataset_upload
    from pipelines.services import pipeline_create
    from training.forecasting import ForecastModel

    with open(sample_path("series_airpassengers.csv"), "rb") as fh:
        dataset = dataset_upload(owner=owner, upload=File(fh, name="air.csv"), name=name)
    pipeline = pipeline_create(
        owner=owner,
        dataset=dataset,
        name=name,
        target_column="passengers",
        problem_type="forecasting",
    )
    fitted = ForecastModel(
        algorithm="ets",
        time_column="day",
        target="sales",
        id_column=id_column,
        freq="D",
        timezone="UTC",
        horizon=H,
        levels=(80, 95),
        season_lengths={k: [7] for k in forecasters},
        forecasters=forecasters,
        **extra,
    )
    saved = artifact_save(fitted, f"{owner.pk}/live/{name}")
    return TrainedModel.objects.create(
        owner=owner,
        pipeline=pipeline,
        problem_type="forecasting",
        algorithm="ets",
        primary_metric="mase",
        artifact=saved.name,
        sha256=saved.sha256,
        input_schema=fitted.input_schema(),
    )


HISTORY = _series(120)
FUTURE = _series(140).iloc[120:]


@pytest.fixture
def ets_model(owner):
    fc = PreparedForecaster(ETSForecaster(season_length=7)).fit(HISTORY)
    return _store_model(owner, {None: fc}, None, "ets")


@pytest.fixture
def multi_model(owner):
    forecasters = {
        key: PreparedForecaster(SeasonalNaiveForecaster(season_length=7)).fit(
            _series(120, seed=i, level=50.0 * (i + 1))
        )
        for i, key in enumerate(("A", "B"))
    }
    return _store_model(owner, forecasters, "store", "multi")


def _deploy(api, model, target="api"):
    res = api.post("/api/v1/deployment/deploy", {"model_id": model.pk, "target": target})
    assert res.status_code == 201, res.json()
    return res.json()


def _obs(points: pd.Series, **extra) -> list[dict]:
    return [
        {"timestamp": ts.isoformat() + "Z", "value": float(v), **extra} for ts, v in points.items()
    ]


def _reference(n_new: int, horizon: int = H) -> dict:
    """What the same fitted ETS model forecasts when the new points are part of its history:
    statsforecast's refit-free `forward` over the fitted window plus the new points."""
    base: Any = PreparedForecaster(ETSForecaster(season_length=7)).fit(HISTORY).forecaster
    window = np.concatenate([base._tail, FUTURE.to_numpy()[:n_new]])
    return base.model_.forward(y=window, h=horizon, level=[80, 95])


def _forecast(api, model, **body):
    return api.post("/api/v1/predictions/forecast", {"model_id": model.pk, **body}, format="json")


@pytest.mark.django_db
def test_observations_one_by_one_match_the_model_with_the_points_in_its_history(api, ets_model):
    _deploy(api, ets_model)
    artifact = ets_model.artifact
    from django.core.files.storage import default_storage

    with default_storage.open(artifact, "rb") as fh:
        stored = fh.read()
    for i in range(5):
        res = _forecast(api, ets_model, observations=_obs(FUTURE.iloc[i : i + 1]))
        assert res.status_code == 200, res.json()
        out = res.json()
        ref = _reference(i + 1)
        np.testing.assert_allclose(out["forecast"], ref["mean"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(out["intervals"]["95"]["lower"], ref["lo-95"], atol=1e-6)
        np.testing.assert_allclose(out["intervals"]["80"]["upper"], ref["hi-80"], atol=1e-6)
        assert out["updated_through"] == FUTURE.index[i].isoformat() + "+00:00"
        assert out["timestamps"][0] == FUTURE.index[i + 1].isoformat() + "+00:00"
        assert out["series_id"] is None and out["observations_applied"] == 1
    # The next call (no observations) continues from the saved state, also after a "restart".
    artifact_cache_clear()
    again = _forecast(api, ets_model).json()
    np.testing.assert_allclose(again["forecast"], _reference(5)["mean"], atol=1e-6)
    assert again["updated_through"] == FUTURE.index[4].isoformat() + "+00:00"
    state = ForecastState.objects.get(deployment__model=ets_model)
    assert state.n_observations == 5 and state.version == 5
    with default_storage.open(artifact, "rb") as fh:
        assert fh.read() == stored  # the model file never changes
    actuals = ForecastActual.objects.filter(model=ets_model).order_by("timestamp")
    assert [a.value for a in actuals] == pytest.approx(FUTURE.iloc[:5].tolist())
    record = PredictionRecord.objects.filter(model=ets_model, source="forecast").first()
    assert set(record.prediction) >= {"timestamps", "forecast", "intervals", "series_id", "origin"}
    assert record.prediction["origin"] == FUTURE.index[4].isoformat() + "+00:00"


@pytest.mark.django_db
def test_a_batch_equals_the_same_points_one_by_one(api, ets_model):
    _deploy(api, ets_model)
    res = _forecast(api, ets_model, observations=_obs(FUTURE.iloc[:8]), horizon=10)
    assert res.status_code == 200, res.json()
    out = res.json()
    assert out["observations_applied"] == 8 and len(out["forecast"]) == 10
    np.testing.assert_allclose(out["forecast"], _reference(8, 10)["mean"], atol=1e-6)


@pytest.mark.django_db
def test_bad_observations_are_a_400_and_a_bad_batch_applies_nothing(api, ets_model):
    _deploy(api, ets_model)
    assert _forecast(api, ets_model, observations=_obs(FUTURE.iloc[:2])).status_code == 200
    before = ForecastState.objects.get(deployment__model=ets_model)
    cases = {
        "observation_not_after_last": _obs(FUTURE.iloc[1:2]),  # already known
        "observation_off_frequency": [
            {"timestamp": (FUTURE.index[2] + pd.Timedelta("3h")).isoformat(), "value": 1.0}
        ],
        "bad_timestamp": [{"timestamp": "yesterday-ish", "value": 1.0}],
    }
    for code, observations in cases.items():
        # One good point first: the batch must apply none of them.
        batch = _obs(FUTURE.iloc[2:3]) + observations if code != "bad_timestamp" else observations
        res = _forecast(api, ets_model, observations=batch)
        assert res.status_code == 400, (code, res.json())
        assert res.json()["code"] == code and res.json()["detail"]
    res = _forecast(api, ets_model, observations=[{"timestamp": "2024-05-03", "value": "NaN"}])
    assert res.status_code == 400
    after = ForecastState.objects.get(deployment__model=ets_model)
    assert (after.version, after.state) == (before.version, before.state)
    assert ForecastActual.objects.filter(model=ets_model).count() == 2
    # In time order within a batch, too.
    swapped = _obs(FUTURE.iloc[3:4]) + _obs(FUTURE.iloc[2:3])
    res = _forecast(api, ets_model, observations=swapped)
    assert res.status_code == 400 and res.json()["code"] == "observation_not_after_last"


@pytest.mark.django_db
def test_a_skipped_step_is_filled_like_the_history(api, ets_model):
    _deploy(api, ets_model)
    res = _forecast(api, ets_model, observations=_obs(FUTURE.iloc[[0, 2]]))
    assert res.status_code == 200, res.json()
    assert res.json()["updated_through"] == FUTURE.index[2].isoformat() + "+00:00"
    assert ForecastActual.objects.filter(model=ets_model).count() == 2  # only what was observed
    # The gap is filled by the model's preparation (linear interpolation).
    base = PreparedForecaster(ETSForecaster(season_length=7)).fit(HISTORY).forecaster
    filled = [FUTURE.iloc[0], (FUTURE.iloc[0] + FUTURE.iloc[2]) / 2, FUTURE.iloc[2]]
    ref = base.model_.forward(y=np.concatenate([base._tail, filled]), h=H)
    np.testing.assert_allclose(res.json()["forecast"], ref["mean"], atol=1e-6)
    # ... and the answer says so: how many steps were missing and how they were filled.
    body = res.json()
    assert body["missing_steps"] == 1
    [gap] = body["gaps"]
    assert gap["missing_steps"] == 1 and gap["filled_with"] == "interpolate"
    assert gap["after"] == FUTURE.index[0].isoformat() + "+00:00"
    assert gap["before"] == FUTURE.index[2].isoformat() + "+00:00"
    assert gap["first_missing"] == gap["last_missing"] == FUTURE.index[1].isoformat() + "+00:00"
    assert gap["note"] == (
        f"1 step missing between {gap['after']} and {gap['before']} ({gap['first_missing']}) "
        "was filled with linear interpolation between the values either side."
    )


@pytest.mark.django_db
def test_a_gap_after_the_last_known_step_is_reported_over_rest_and_the_stream(
    api, owner, ets_model
):
    _deploy(api, ets_model)
    res = _forecast(api, ets_model, observations=_obs(FUTURE.iloc[:1]))
    assert res.json()["missing_steps"] == 0 and res.json()["gaps"] == []
    # The next observation skips four steps (the page's 2023-01-01 then 2023-06-01 case).
    res = _forecast(api, ets_model, observations=_obs(FUTURE.iloc[5:6]))
    assert res.status_code == 200, res.json()
    body = res.json()
    assert body["missing_steps"] == 4
    [gap] = body["gaps"]
    assert gap["after"].startswith(FUTURE.index[0].date().isoformat())
    assert gap["first_missing"].startswith(FUTURE.index[1].date().isoformat())
    assert gap["last_missing"].startswith(FUTURE.index[4].date().isoformat())
    assert gap["note"].startswith("4 steps missing between ")
    assert " were filled with " in gap["note"]
    token = AccessToken.for_user(owner)
    [answer] = async_to_sync(_talk)(
        f"/ws/predictions/?token={token}",
        [{"model_id": ets_model.pk, "observations": _obs(FUTURE.iloc[8:9]), "request_id": "g"}],
    )
    assert answer["missing_steps"] == 2 and answer["gaps"][0]["missing_steps"] == 2


@pytest.mark.django_db
def test_live_next_reads_the_expected_timestamp_from_the_deployment_state(api, ets_model):
    from predictions.live import live_next
    from predictions.services import load_model

    _deploy(api, ets_model)
    fitted = load_model(ets_model)
    first = live_next(ets_model, fitted)
    assert first["timestamp"] == FUTURE.index[0].isoformat() + "+00:00"
    assert first["updated_through"] == HISTORY.index[-1].isoformat() + "+00:00"
    _forecast(api, ets_model, observations=_obs(FUTURE.iloc[:3]))
    later = live_next(ets_model, fitted)
    assert later["timestamp"] == FUTURE.index[3].isoformat() + "+00:00"
    assert later["forecast"] == pytest.approx(_reference(3, 1)["mean"][0], abs=1e-6)
    states = ForecastState.objects.count()
    live_next(ets_model, fitted)
    assert ForecastState.objects.count() == states  # reads only


@pytest.mark.django_db
def test_only_deployed_models_answer_and_others_models_are_404(api, other_api, ets_model):
    res = _forecast(api, ets_model, observations=_obs(FUTURE.iloc[:1]))
    assert res.status_code == 409 and res.json()["code"] == "model_not_deployed"
    deployment = _deploy(api, ets_model)
    res = _forecast(other_api, ets_model, observations=_obs(FUTURE.iloc[:1]))
    assert res.status_code == 404
    assert _forecast(api, ets_model, series_id="nope").status_code == 404
    assert not ForecastActual.objects.exists() and not ForecastState.objects.exists()
    # A new deployment starts again from the trained history.
    _forecast(api, ets_model, observations=_obs(FUTURE.iloc[:3]))
    api.post(f"/api/v1/deployment/{deployment['id']}/undeploy")
    _deploy(api, ets_model)
    out = _forecast(api, ets_model).json()
    assert out["updated_through"] == HISTORY.index[-1].isoformat() + "+00:00"


@pytest.mark.django_db
def test_state_is_kept_per_series(api, multi_model):
    _deploy(api, multi_model)
    before = _forecast(api, multi_model).json()
    assert {s["id"] for s in before["series"]} == {"A", "B"}
    b_before = next(s for s in before["series"] if s["id"] == "B")
    new = _series(125, seed=0, level=50.0).iloc[120:] + 7.0
    res = _forecast(api, multi_model, observations=_obs(new, series_id="A"))
    assert res.status_code == 200, res.json()
    out = res.json()
    assert out["series_id"] == "A" and out["updated_through"].startswith("2024-05-04")
    # Seasonal naive: the forecast repeats the last week, which now ends with the new points.
    assert out["forecast"][2:6] == pytest.approx(new.iloc[:4].tolist())
    b_after = _forecast(api, multi_model, series_id="B").json()
    assert b_after["forecast"] == b_before["forecast"]
    assert b_after["updated_through"] == HISTORY.index[-1].isoformat() + "+00:00"
    assert ForecastState.objects.filter(deployment__model=multi_model).count() == 1
    res = _forecast(api, multi_model, observations=_obs(new))  # no series_id
    assert res.status_code == 400 and res.json()["code"] == "series_id_required"
    res = _forecast(api, multi_model, observations=_obs(new, series_id="Mars"))
    assert res.status_code == 404 and res.json()["code"] == "series_not_found"


@pytest.mark.django_db
def test_forecast_feedback_records_actuals(api, other_api, ets_model):
    url = "/api/v1/predictions/feedback"
    one = {"model_id": ets_model.pk, "timestamp": FUTURE.index[0].isoformat(), "actual": 101.5}
    res = api.post(url, one, format="json")
    assert res.status_code == 201, res.json()
    assert res.json()["count"] == 1 and res.json()["actuals"][0]["actual"] == 101.5
    many = [
        {**one, "actual": 99.0},  # a repeat updates the value
        {"model_id": ets_model.pk, "timestamp": FUTURE.index[1].isoformat() + "Z", "actual": 3},
    ]
    assert api.post(url, many, format="json").status_code == 201
    values = dict(ForecastActual.objects.filter(model=ets_model).values_list("timestamp", "value"))
    assert sorted(values.values()) == [3.0, 99.0]
    bad = [
        {**one, "timestamp": HISTORY.index[-1].isoformat()},  # in the training history
        {**one, "timestamp": "2024-05-01T03:00:00"},  # off the daily grid
        {**one, "series_id": "A"},  # single-series model
    ]
    for body in bad:
        res = api.post(url, [{**one, "actual": 5.0}, body], format="json")
        assert res.status_code in (400, 404), body
    assert sorted(
        ForecastActual.objects.filter(model=ets_model).values_list("value", flat=True)
    ) == [3.0, 99.0]
    assert api.post(url, [], format="json").status_code == 400
    assert other_api.post(url, one, format="json").status_code == 404


async def _talk(path: str, messages: list[dict]) -> list[dict]:
    comm = WebsocketCommunicator(application, path)
    connected, _ = await comm.connect(timeout=10)
    assert connected
    answers = []
    try:
        for message in messages:
            await comm.send_json_to(message)
            answers.append(await comm.receive_json_from(timeout=30))
    finally:
        await comm.disconnect()
    return answers


@pytest.mark.django_db(transaction=True)
def test_websocket_observations_answer_the_updated_forecast(owner, ets_model):
    Deployment.objects.create(owner=owner, model=ets_model, target="realtime")
    token = AccessToken.for_user(owner)
    messages = [
        {
            "model_id": ets_model.pk,
            "observations": _obs(FUTURE.iloc[i : i + 1]),
            "horizon": 4,
            "level": [80],
            "request_id": f"r{i}",
        }
        for i in range(3)
    ]
    messages += [
        # Already known: an error answer, and the connection stays open.
        {"model_id": ets_model.pk, "observations": _obs(FUTURE.iloc[:1]), "request_id": "x"},
        {"model_id": ets_model.pk, "observations": [], "request_id": "y"},
    ]
    answers = async_to_sync(_talk)(f"/ws/predictions/?token={token}", messages)
    for i, out in enumerate(answers[:3]):
        assert out["request_id"] == f"r{i}", out
        keys = {"model_id", "series_id", "updated_through", "timestamps", "forecast", "intervals"}
        assert keys <= set(out)
        np.testing.assert_allclose(out["forecast"], _reference(i + 1, 4)["mean"], atol=1e-6)
        assert list(out["intervals"]) == ["80"]
    err, ok = answers[3], answers[4]
    assert err["request_id"] == "x" and err["error"]["code"] == "observation_not_after_last"
    assert ok["request_id"] == "y" and ok["updated_through"].startswith("2024-05-02")
    assert PredictionRecord.objects.filter(model=ets_model, source="forecast").count() == 4


def test_schema_describes_live_forecast_fields():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    assert "observations" in components["ForecastRequest"]["properties"]
    assert {"updated_through", "series_id", "missing_steps", "gaps"} <= set(
        components["ForecastResult"]["properties"]
    )
    variants = components["FeedbackBodyRequest"]["oneOf"]
    assert len(variants) == 3  # {prediction_id, actual}, one forecast actual, a list of them


@pytest.mark.parametrize(
    "freq", ["MS", "ME", "QS-OCT", "QE", "YS", "W-SUN", "B", "BMS", "SMS", "2MS"]
)
def test_steps_after_counts_calendar_steps_as_listing_them_does(freq):
    """Calendar steps are counted by stepping, not by listing every step between (which made
    checking 2,500 monthly actuals take seconds); the count is the listing's, or None off the
    grid, before the last timestamp or past the longest gap."""
    from pandas.tseries.frequencies import to_offset

    from predictions.live import MAX_GAP_STEPS, steps_after

    grid = pd.date_range("1990-01-01", "2200-01-01", freq=to_offset(freq))
    last = grid[10]
    for i in [0, 9, 10, 11, 12, 13, 50, len(grid) // 2, len(grid) - 1]:
        listed = len(pd.date_range(last, grid[i], freq=to_offset(freq))) - 1
        expected = listed if 1 <= listed <= MAX_GAP_STEPS + 1 else None
        assert steps_after(last, grid[i], freq) == expected, (freq, grid[i])
        assert steps_after(last, grid[i] + pd.Timedelta(hours=5), freq) is None


def test_steps_after_reads_fixed_and_calendar_frequencies():
    from predictions.live import steps_after

    day = pd.Timestamp("2024-01-01")
    assert steps_after(day, pd.Timestamp("2024-01-01 03:00"), "h") == 3
    assert steps_after(day, pd.Timestamp("2024-01-01 03:00"), "2h") is None
    assert steps_after(day, pd.Timestamp("2024-03-01"), "MS") == 2
    assert steps_after(day, pd.Timestamp("2024-03-15"), "MS") is None
    assert steps_after(pd.Timestamp("2024-01-07"), pd.Timestamp("2024-01-21"), "W-SUN") == 2
    assert steps_after(pd.Timestamp("2024-01-07"), pd.Timestamp("2024-01-20"), "W-SUN") is None
    assert steps_after(day, day + pd.Timedelta(days=20_000), "D") is None  # too long a gap
    # Calendar frequencies far ahead: 10,000 months would pass pandas' last timestamp (2262);
    # counting them overflowed into a 500 for a monthly model sent '2030-01-01'.
    assert steps_after(day, pd.Timestamp("2030-01-01"), "MS") == 72
    assert steps_after(day, pd.Timestamp("2262-01-01"), "MS") == 238 * 12
    assert steps_after(day, pd.Timestamp("2100-01-01"), "B") is None  # 19,830 business days
    assert steps_after(day, day, "MS") is None  # not after


@pytest.mark.django_db(transaction=True)
def test_trained_models_of_every_kind_take_observations(api, celery_worker):
    """Real training (calibrated intervals, a monthly calendar frequency): each model on the
    leaderboard, deployed, answers after three observations what its fitted forecaster
    forecasts with those points appended (one by one over REST, the JSON state in between)."""
    from conftest import create_pipeline, upload_sample, wait_job
    from modeling.artifacts import artifact_load

    ds = upload_sample(api, "series_airpassengers.csv")
    pipe = create_pipeline(api, ds["id"], "passengers", "forecasting", forecast_horizon=12)
    job = api.post(
        "/api/v1/training/start",
        {"pipeline_id": pipe["id"], "time_budget_s": 20,
         "algorithms": ["seasonal_naive", "ets", "arima", "theta", "linear_lags", "ensemble"]},
        format="json",
    ).json()  # fmt: skip
    assert wait_job(api, job["job_id"])["status"] == "completed"
    board = api.get(f"/api/v1/models/?pipeline_id={pipe['id']}").json()["results"]
    assert len(board) >= 3
    new = pd.Series([430.0, 415.0, 470.0], index=pd.date_range("1961-01-01", periods=3, freq="MS"))
    for entry in board:
        model = TrainedModel.objects.get(pk=entry["id"])
        _deploy(api, model)
        for i in range(3):
            res = _forecast(api, model, observations=_obs(new.iloc[i : i + 1]))
            assert res.status_code == 200, (entry["algorithm"], res.json())
        out = res.json()
        fitted = artifact_load(model.artifact, model.sha256)
        expected = fitted.forecasters[None].update(new).predict(12, (80, 95))
        np.testing.assert_allclose(out["forecast"], expected.forecast, atol=1e-6)
        np.testing.assert_allclose(
            out["intervals"]["95"]["upper"], expected.intervals["95"]["upper"], atol=1e-6
        )
        assert out["timestamps"][0] == "1961-04-01T00:00:00+00:00", entry["algorithm"]
        off = _forecast(api, model, observations=[{"timestamp": "1961-04-15", "value": 1.0}])
        assert off.status_code == 400 and off.json()["code"] == "observation_off_frequency"


@pytest.mark.django_db
def test_admin_lists_live_states_and_actuals_read_only(api, ets_model, client, django_user_model):
    _deploy(api, ets_model)
    _forecast(api, ets_model, observations=_obs(FUTURE.iloc[:2]))
    client.force_login(
        django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-123")
    )
    for page in ("predictions/forecastactual", "predictions/forecaststate"):
        listing = client.get(f"/admin/{page}/?q=ets")
        assert listing.status_code == 200, page
        assert client.get(f"/admin/{page}/add/").status_code == 403, page
    state = ForecastState.objects.get()
    res = client.get(f"/admin/predictions/forecaststate/{state.pk}/change/")
    assert res.status_code == 200 and b"field-n_observations" in res.content


@pytest.mark.django_db(transaction=True)
def test_websocket_live_errors_are_per_message(owner, other_user, ets_model):
    token = AccessToken.for_user(owner)
    point = _obs(FUTURE.iloc[:1])
    answers = async_to_sync(_talk)(
        f"/ws/predictions/?token={token}",
        [
            {"model_id": ets_model.pk, "observations": point, "request_id": "a"},
            {"model_id": ets_model.pk, "observations": "soon", "request_id": "b"},
            {"model_id": 999_999, "observations": point, "request_id": "c"},
            {"model_id": ets_model.pk, "observations": point, "horizon": 0, "request_id": "d"},
        ],
    )
    codes = [a["error"]["code"] for a in answers]
    assert codes == ["model_not_deployed", "bad_observations", "model_not_found", "bad_horizon"]
    assert [a["request_id"] for a in answers] == ["a", "b", "c", "d"]
    Deployment.objects.create(owner=owner, model=ets_model, target="realtime")
    other = AccessToken.for_user(other_user)
    [answer] = async_to_sync(_talk)(
        f"/ws/predictions/?token={other}",
        [{"model_id": ets_model.pk, "observations": point, "request_id": "e"}],
    )
    assert answer["error"]["code"] == "model_not_found"
    assert not ForecastActual.objects.exists() and not ForecastState.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_observations_of_one_series_apply_one_after_the_other(owner, ets_model):
    """Two requests race with the same next point: the state row is locked while it advances,
    so one applies and the other finds the point already known (no lost update)."""
    import threading

    from django.db import connection
    from rest_framework.test import APIClient

    Deployment.objects.create(owner=owner, model=ets_model, target="api")
    client = APIClient()
    client.force_authenticate(owner)
    assert _forecast(client, ets_model, observations=_obs(FUTURE.iloc[:1])).status_code == 200
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def send(value: float) -> None:
        mine = APIClient()
        mine.force_authenticate(owner)
        point = [{"timestamp": FUTURE.index[1].isoformat(), "value": value}]
        barrier.wait()
        try:
            statuses.append(_forecast(mine, ets_model, observations=point).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(v,)) for v in (1.0, 2.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [200, 400], statuses
    state = ForecastState.objects.get()
    assert state.version == 2 and state.n_observations == 2
    assert ForecastActual.objects.filter(model=ets_model).count() == 2


def _shown(stamp: pd.Timestamp) -> str:
    return stamp.isoformat() + "+00:00"


@pytest.mark.django_db(transaction=True)
def test_an_observation_that_would_invent_many_steps_is_refused_and_changes_nothing(
    api, owner, ets_model
):
    """One mistyped timestamp (a year typed wrong) made up 2357 points and moved the state for
    good. At most max(horizon 6, one season 7) = 7 missing steps are filled."""
    _deploy(api, ets_model)
    assert _forecast(api, ets_model, observations=_obs(FUTURE.iloc[:1])).status_code == 200
    before = ForecastState.objects.get(deployment__model=ets_model)
    far = pd.Timestamp("2030-01-01")
    missing = (far - FUTURE.index[0]).days - 1
    res = _forecast(api, ets_model, observations=[{"timestamp": "2030-01-01", "value": 100}])
    assert res.status_code == 400, res.json()
    body = res.json()
    assert body["code"] == "observation_gap_too_long"
    assert body["detail"] == (
        f"The observation at {_shown(far)} would leave {missing} steps missing after the last "
        f"known one, {_shown(FUTURE.index[0])} (the next expected is "
        f"{_shown(FUTURE.index[1])}): all {missing} would be invented by linear interpolation "
        "between the values either side. At most 7 missing steps are filled (the model's "
        "horizon of 6 steps or one season, whichever is longer). Check the timestamp, or send "
        "the values in between first."
    )
    # Inside a batch, after good points, too: the batch applies whole or not at all.
    batch = _obs(FUTURE.iloc[1:3]) + _obs(FUTURE.iloc[11:12])  # 8 steps missing after [2]
    res = _forecast(api, ets_model, observations=batch)
    assert res.status_code == 400 and res.json()["code"] == "observation_gap_too_long"
    assert " would leave 8 steps missing " in res.json()["detail"]
    token = AccessToken.for_user(owner)
    refused, answered = async_to_sync(_talk)(
        f"/ws/predictions/?token={token}",
        [
            {"model_id": ets_model.pk, "observations": [{"timestamp": "2030-01-01", "value": 1}],
             "request_id": "far"},
            {"model_id": ets_model.pk, "observations": [], "request_id": "next"},
        ],
    )  # fmt: skip
    assert refused["request_id"] == "far"
    assert refused["error"]["code"] == "observation_gap_too_long"
    assert answered["updated_through"] == _shown(FUTURE.index[0])
    after = ForecastState.objects.get(deployment__model=ets_model)
    assert (after.version, after.state) == (before.version, before.state)
    assert ForecastActual.objects.filter(model=ets_model).count() == 1
    # Seven missing steps (one season) are still filled.
    res = _forecast(api, ets_model, observations=_obs(FUTURE.iloc[8:9]))
    assert res.status_code == 200, res.json()
    assert res.json()["missing_steps"] == 7


def _check(client, model, timestamp: str) -> str:
    res = client.get(f"/models/{model.pk}/observation-check/", {"timestamp": timestamp})
    assert res.status_code == 200
    return res.content.decode()


@pytest.mark.django_db
def test_the_panels_check_reads_the_timestamp_and_says_what_sending_it_would_do(
    client, owner, api, ets_model
):
    """The live panel's line under the timestamp: how the server reads it and what sending it
    would do, by the live update's own checks, writing nothing."""
    client.force_login(owner)
    assert "not deployed" in _check(client, ets_model, "2024-05-01")
    _deploy(api, ets_model)
    nxt = FUTURE.index[0].isoformat() + "+00:00"
    last = HISTORY.index[-1].isoformat() + "+00:00"
    assert f"Reads as {nxt}, the next step after {last}." in _check(client, ets_model, nxt)
    later = FUTURE.index[3]
    text = _check(client, ets_model, later.strftime("%B %d, %Y"))  # one reading only
    assert 'data-ok="true"' in text
    assert "3 steps missing between " in text and " would be filled with linear " in text
    far = _check(client, ets_model, "2030-01-01")
    assert 'data-ok="false"' in far and "Would be refused: The observation at 2030-01-01" in far
    assert "At most 7 missing steps are filled" in far
    ambiguous = _check(client, ets_model, "02.05.2024")
    assert "Would be refused: &#x27;02.05.2024&#x27; could be 5 February 2024 or 2 May 2024" in (
        ambiguous
    )
    assert _check(client, ets_model, "") == "\n"
    assert not ForecastState.objects.exists() and not ForecastActual.objects.exists()


@pytest.mark.django_db
def test_the_observation_check_of_another_users_model_is_a_404(client, other_user, api, ets_model):
    _deploy(api, ets_model)
    client.force_login(other_user)
    res = client.get(f"/models/{ets_model.pk}/observation-check/", {"timestamp": "2024-05-01"})
    assert res.status_code == 404


@pytest.mark.django_db
def test_live_history_is_what_the_state_took_observed_or_filled(
    client, owner, other_user, api, ets_model
):
    """The live chart draws this after a reload: the sent observations were gone and a gap
    showed between the history and the forecast."""
    url = f"/models/{ets_model.pk}/live-history/"
    client.force_login(owner)
    assert client.get(url).json()["code"] == "model_not_deployed"
    _deploy(api, ets_model)
    empty = client.get(url).json()
    assert empty["timestamps"] == [] and empty["updated_through"] == _shown(HISTORY.index[-1])
    res = _forecast(api, ets_model, observations=_obs(FUTURE.iloc[[0, 2]]))
    assert res.status_code == 200
    body = client.get(url).json()
    assert body["timestamps"] == [_shown(ts) for ts in FUTURE.index[:3]]
    middle = (FUTURE.iloc[0] + FUTURE.iloc[2]) / 2  # filled as the update filled it
    assert body["values"] == pytest.approx([FUTURE.iloc[0], middle, FUTURE.iloc[2]])
    assert body["filled"] == [False, True, False]
    assert body["updated_through"] == res.json()["updated_through"] == _shown(FUTURE.index[2])
    # A gap right after the training history starts from its last (prepared) value.
    first = Deployment.objects.get(model=ets_model)
    assert api.post(f"/api/v1/deployment/{first.pk}/undeploy").status_code == 200
    _deploy(api, ets_model)
    _forecast(api, ets_model, observations=_obs(FUTURE.iloc[1:2]))
    fresh = client.get(url).json()  # the new deployment's own steps only
    last = PreparedForecaster(ETSForecaster(season_length=7)).fit(HISTORY).last_raw_
    assert fresh["filled"] == [True, False]
    assert fresh["values"] == pytest.approx([(last + FUTURE.iloc[1]) / 2, FUTURE.iloc[1]])
    client.force_login(other_user)
    assert client.get(url).status_code == 404


def _writes() -> tuple:
    """Everything a forecast request may write: records, live states, actuals."""
    return (
        sorted(PredictionRecord.objects.values_list("pk", flat=True)),
        sorted(ForecastState.objects.values_list("pk", "version", "updated_through")),
        sorted(ForecastActual.objects.values_list("pk", "value", "updated_at")),
    )


def _unrecorded(answer: dict) -> dict:
    """A forecast answer without what only a recorded one has (its ids and timing)."""
    only_recorded = {"prediction_id", "prediction_ids", "latency_ms"}
    return {k: v for k, v in answer.items() if k not in only_recorded}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "which, series", [("ets_model", None), ("multi_model", None), ("multi_model", "B")]
)
def test_the_page_forecast_is_the_rest_forecast_and_records_nothing(
    request, client, owner, api, which, series
):
    """The model page drew its live chart by POSTing the REST forecast, so every page view,
    reload or series switch was counted by monitoring as served predictions. Its own endpoint
    answers the same forecast from the live state and writes nothing."""
    model = request.getfixturevalue(which)
    _deploy(api, model)
    # The live state moves on from training (for the series drawn: the first, A, by default).
    extra = {"series_id": series or "A"} if which == "multi_model" else {}
    sent = _forecast(api, model, observations=_obs(FUTURE.iloc[:2], **extra))
    assert sent.status_code == 200, sent.json()
    before = _writes()
    assert before[0] and before[1] and before[2]
    client.force_login(owner)
    query = {"series_id": series} if series else {}
    page = client.get(f"/models/{model.pk}/live-forecast/", query)
    assert page.status_code == 200, page.json()
    assert _writes() == before  # no record, no state, no actual
    body = page.json()
    assert body["prediction_id"] is None and body["prediction_ids"] == []
    assert body["observations_applied"] == 0 and body["gaps"] == []
    rest = _forecast(api, model, level=[80, 95], **query)
    assert rest.status_code == 200
    assert _unrecorded(body) == _unrecorded(rest.json())
    assert body["updated_through"] == _shown(FUTURE.index[1])  # from the live state
    # The REST forecast keeps recording as it did: one record per forecast series.
    assert len(rest.json()["prediction_ids"]) == (2 if which == "multi_model" and not series else 1)
    assert PredictionRecord.objects.count() == len(before[0]) + len(rest.json()["prediction_ids"])


@pytest.mark.django_db
def test_the_page_forecast_refuses_as_the_rest_forecast_does_and_is_only_the_owners(
    client, owner, other_user, api, other_api, multi_model
):
    url = f"/models/{multi_model.pk}/live-forecast/"
    client.force_login(owner)
    res = client.get(url)
    rest = _forecast(api, multi_model)
    assert res.status_code == rest.status_code == 409
    assert res.json()["code"] == rest.json()["code"] == "model_not_deployed"
    _deploy(api, multi_model)
    res = client.get(url, {"series_id": "Mars"})
    rest = _forecast(api, multi_model, series_id="Mars")
    assert res.status_code == rest.status_code == 404
    assert res.json() == {"detail": rest.json()["detail"], "code": "series_not_found"}
    assert client.post(url).status_code == 405  # read-only
    # Observations are a prediction request: the read-only forecast never takes them.
    from predictions import services

    with pytest.raises(ValueError, match="takes no observations"):
        services.forecast(
            user=owner, model=multi_model, observations=_obs(FUTURE.iloc[:1]), record=False
        )
    assert not PredictionRecord.objects.exists()
    client.force_login(other_user)
    assert client.get(url).status_code == 404
    assert _forecast(other_api, multi_model).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page
    assert not PredictionRecord.objects.exists() and not ForecastState.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_value_written_as_text_reads_a_decimal_comma_when_it_can_be_nothing_else(
    owner, ets_model
):
    """The page sends the observed value as typed: 101,5 is 101.5 on a decimal-point model
    (it cannot be anything else); 1,234 could be 1234 or 1.234 and is refused; text that is
    no number is refused at the value, and nothing is applied."""
    Deployment.objects.create(owner=owner, model=ets_model, target="realtime")
    token = AccessToken.for_user(owner)
    stamp = FUTURE.index[0].isoformat()

    def message(value: str, rid: str) -> dict:
        return {"model_id": ets_model.pk, "observations": [{"timestamp": stamp, "value": value}],
                "request_id": rid}  # fmt: skip

    answers = async_to_sync(_talk)(
        f"/ws/predictions/?token={token}",
        [message("1,234", "a"), message("101,5 kg", "b"), message(" ", "c"), message("101,5", "d")],
    )
    errors = [a.get("error", {}) for a in answers[:3]]
    assert [e["code"] for e in errors] == ["ambiguous_number", "bad_value", "bad_value"]
    assert errors[0]["detail"] == (
        "observations[0]: value '1,234' could be 1234 or 1.234; write it with a decimal point "
        "and no thousands separator."
    )
    assert errors[1]["detail"] == "observations[0]: value '101,5 kg' is not a number."
    assert answers[3]["updated_through"] == _shown(FUTURE.index[0]), answers[3]
    assert list(ForecastActual.objects.values_list("value", flat=True)) == [101.5]


@pytest.mark.django_db
def test_forecast_feedback_errors_of_one_object_name_its_fields_not_a_list_position(api, ets_model):
    url = "/api/v1/predictions/feedback"
    res = api.post(url, {"model_id": ets_model.pk, "actual": 3}, format="json")
    assert res.status_code == 400
    assert res.json()["detail"] == "timestamp: This field is required."  # was "0: timestamp: ..."
    assert res.json()["errors"] == {"timestamp": ["This field is required."]}  # was 0.timestamp
    one = {"model_id": ets_model.pk, "timestamp": "soon", "actual": 3}
    res = api.post(url, one, format="json")
    assert res.status_code == 400 and res.json()["detail"].startswith("feedback: 'soon' is not")
    # A list keeps the positions: they say which item is wrong.
    good = {**one, "timestamp": FUTURE.index[0].isoformat()}
    res = api.post(url, [good, {"model_id": ets_model.pk, "actual": 3}], format="json")
    assert res.json()["errors"] == {"1.timestamp": ["This field is required."]}
    res = api.post(url, [good, one], format="json")
    assert res.status_code == 400 and res.json()["detail"].startswith("feedback[1]: 'soon' is")
    assert not ForecastActual.objects.exists()


@pytest.mark.django_db
def test_rest_observations_and_actuals_take_the_numbers_written_as_text_the_stream_takes(
    api, ets_model
):
    """REST took a JSON number only ("101,5" was 'A valid number is required.') while the
    WebSocket read numeric text: both now read the value with the stream's reader and refuse
    the same values with a 400 naming the field; a refused batch applies nothing."""
    _deploy(api, ets_model)

    def observe(i: int, value: Any):
        stamp = FUTURE.index[i].isoformat()
        return _forecast(api, ets_model, observations=[{"timestamp": stamp, "value": value}])

    for i, (sent, read) in enumerate([("101.5", 101.5), ("101,5", 101.5), (" 102 ", 102.0)]):
        res = observe(i, sent)
        assert res.status_code == 200, (sent, res.json())
        assert res.json()["updated_through"] == _shown(FUTURE.index[i])
        assert (
            ForecastActual.objects.get(timestamp=FUTURE.index[i].tz_localize("UTC")).value == read
        )
    refused = {
        "1,234": ("ambiguous_number", "observations[0]: value '1,234' could be 1234 or 1.234; "
                  "write it with a decimal point and no thousands separator."),
        "101,5 kg": ("bad_value", "observations[0]: value '101,5 kg' is not a number."),
        " ": ("bad_value", "observations[0]: value '' is not a number."),
        "inf": ("bad_value", "observations[0]: value must be a finite number."),
        True: ("bad_value", "observations[0]: value must be a number."),
        None: ("bad_value", "observations[0]: value must be a number."),
        "": ("bad_value", "observations[0]: value '' is not a number."),
    }  # fmt: skip
    for sent, (code, detail) in refused.items():
        res = observe(3, sent)
        assert res.status_code == 400, (sent, res.json())
        assert res.json() == {"detail": detail, "code": code}, sent
    assert ForecastActual.objects.filter(model=ets_model).count() == 3
    state = ForecastState.objects.get(deployment__model=ets_model)
    assert state.updated_through == FUTURE.index[2].tz_localize("UTC")

    # Forecast feedback's actual reads the same way, one object or a list.
    url = "/api/v1/predictions/feedback"
    one = {"model_id": ets_model.pk, "timestamp": FUTURE.index[5].isoformat(), "actual": "99,5"}
    res = api.post(url, one, format="json")
    assert res.status_code == 201, res.json()
    assert res.json()["actuals"][0]["actual"] == 99.5
    res = api.post(url, {**one, "actual": "lots"}, format="json")
    assert res.status_code == 400
    assert res.json() == {"detail": "feedback: actual 'lots' is not a number.", "code": "bad_value"}
    res = api.post(url, [one, {**one, "actual": "1,234"}], format="json")
    assert res.status_code == 400 and res.json()["code"] == "ambiguous_number"
    assert res.json()["detail"].startswith("feedback[1]: actual '1,234' could be 1234 or 1.234")
    assert ForecastActual.objects.get(timestamp=FUTURE.index[5].tz_localize("UTC")).value == 99.5


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("forecaster", "value", "reason"),
    [
        # statsforecast's AutoTheta raises a bare Exception ("no model able to be fitted").
        (ThetaForecaster, 1e300, "the model failed on it"),
        # Seasonal naive keeps forecasting the last season, but its squared errors overflow.
        (SeasonalNaiveForecaster, 1e200, "its forecast would not be a finite number"),
    ],
)
def test_a_value_the_model_cannot_forecast_from_is_a_400_and_changes_nothing(
    api, owner, forecaster, value, reason
):
    """A mistyped value (1e300 in the model page's live panel) answered 500 "The forecast
    failed on the server" for a Theta model; a seasonal naive model took 1e200 and answered
    intervals that were not numbers from then on. Both are refused, over REST and the stream."""
    fc = PreparedForecaster(forecaster(season_length=7)).fit(HISTORY)
    model = _store_model(owner, {None: fc}, None, forecaster.__name__)
    _deploy(api, model)
    assert _forecast(api, model, observations=_obs(FUTURE.iloc[:1])).status_code == 200
    before = ForecastState.objects.get(deployment__model=model)
    bad = [{"timestamp": FUTURE.index[1].isoformat(), "value": value}]
    res = _forecast(api, model, observations=bad)
    assert res.status_code == 400, res.json()
    assert res.json() == {
        "detail": f"The value {value:g} at {_shown(FUTURE.index[1])} cannot be added to the "
        f"history: {reason}. Nothing was stored; check the value for a typo or a unit mistake.",
        "code": "observation_not_forecastable",
    }
    token = AccessToken.for_user(owner)
    refused, answered = async_to_sync(_talk)(
        f"/ws/predictions/?token={token}",
        [
            {"model_id": model.pk, "observations": bad, "request_id": "typo"},
            {"model_id": model.pk, "observations": [], "request_id": "next"},
        ],
    )
    assert refused["request_id"] == "typo"
    assert refused["error"]["code"] == "observation_not_forecastable"
    assert answered["updated_through"] == _shown(FUTURE.index[0])
    after = ForecastState.objects.get(deployment__model=model)
    assert (after.version, after.state) == (before.version, before.state)
    assert ForecastActual.objects.filter(model=model).count() == 1
    # The same step with its real value is taken.
    res = _forecast(api, model, observations=_obs(FUTURE.iloc[1:2]))
    assert res.status_code == 200, res.json()
    assert np.isfinite(res.json()["intervals"]["95"]["upper"]).all()


@pytest.mark.django_db
def test_an_observation_far_outside_the_training_values_is_taken_with_a_warning(api, client, owner):
    """1e12 sent to a series trained on values near 100 to 130 (a typo or a unit mistake,
    most often) is applied, as a real level shift would be, but the answer's notes and the
    live panel's line under the value say how far it lies and how to start afresh."""
    fc = PreparedForecaster(ETSForecaster(season_length=7)).fit(HISTORY)
    low, high = float(HISTORY.min()), float(HISTORY.max())
    model = _store_model(owner, {None: fc}, None, "far", value_ranges={None: (low, high)})
    _deploy(api, model)
    near = _forecast(api, model, observations=_obs(FUTURE.iloc[:1]))
    assert near.status_code == 200 and not any("far outside" in n for n in near.json()["notes"])
    stamp = FUTURE.index[1].isoformat()
    far = _forecast(api, model, observations=[{"timestamp": stamp, "value": 1e12}])
    assert far.status_code == 200, far.json()
    assert far.json()["notes"][0] == (
        f"1e+12 is far outside the values the series was trained on ({low:g} to {high:g}): "
        "check it for a typo or a unit mistake. An observation cannot be taken back; "
        "undeploying the model and deploying it again starts its live state afresh."
    )
    client.force_login(owner)
    url = f"/models/{model.pk}/observation-check/"
    typed = client.get(url, {"timestamp": FUTURE.index[2].isoformat(), "value": "2e9"})
    assert typed.status_code == 200
    assert 'id="obs-value-note"' in typed.content.decode()
    assert "2e+09 is far outside" in typed.content.decode()
    for value in ("125", "", "lots"):  # near, not typed yet, not a number (sending says why)
        plain = client.get(url, {"timestamp": FUTURE.index[2].isoformat(), "value": value})
        assert plain.status_code == 200 and "obs-value-note" not in plain.content.decode()
