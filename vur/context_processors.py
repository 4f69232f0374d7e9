"""Layout context: the stage navigation (with the pipelines list) and the current stage marked."""

from __future__ import annotations

from django.http import HttpRequest

# (key, label, path, path prefixes that make it the current stage). Pipelines' wizard steps map
# to their stage through `?stage=` on the list and the step name in the wizard's URL.
NAV = (
    ("dashboard", "Dashboard", "/", ()),
    ("datasets", "Datasets", "/datasets/", ("/datasets/",)),
    ("pipelines", "Pipelines", "/pipelines/", ()),
    ("preprocessing", "Preprocessing", "/pipelines/?stage=preprocessing", ()),
    ("features", "Features", "/pipelines/?stage=features", ()),
    ("model_selection", "Model selection", "/pipelines/?stage=model_selection", ()),
    ("training", "Training", "/training/", ("/training/", "/models/")),
    ("monitoring", "Monitoring", "/monitoring/", ("/monitoring/",)),
    ("deployment", "Predictions", "/deployments/", ("/deployments/", "/predictions/")),
)
_WIZARD_STAGE = {
    "setup": "pipelines",
    "preprocessing": "preprocessing",
    "features": "features",
    "model_selection": "model_selection",
    "training": "training",
}


def _current(request: HttpRequest) -> str:
    path = request.path
    if path == "/":
        return "dashboard"
    if path.startswith("/pipelines/"):
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 4 and parts[2] == "wizard":
            return _WIZARD_STAGE.get(parts[3], "preprocessing")
        # The list, "New pipeline" and a pipeline's page are the pipelines entry; `?stage=`
        # opens the list for one wizard stage and marks that stage.
        stage = request.GET.get("stage", "")
        return stage if stage in _WIZARD_STAGE.values() else "pipelines"
    for key, _label, _url, prefixes in NAV:
        if any(path.startswith(p) for p in prefixes):
            return key
    return ""


def layout(request: HttpRequest) -> dict:
    """`nav_items`: [{key, label, url, active}] for the stage navigation in base.html."""
    current = _current(request)
    return {
        "nav_items": [
            {"key": key, "label": label, "url": url, "active": key == current}
            for key, label, url, _prefixes in NAV
        ],
        "nav_current": current,
    }
