"""The serving form of a fitted model: a blend whose members share one fitted preprocessing runs
it once per request instead of once per member, and a final estimator that ONNX Runtime can run
(tree ensembles, linear models) is run there instead of scikit-learn, and the fitted preprocessing
(`preprocess` + `features`) runs as a numpy program (`modeling.rowplan`) instead of a
ColumnTransformer pass. Django-free.

`compile_for_serving` groups a blend's members by the content hash of their fitted
`preprocess` + `features` steps (identical fitted state gives identical output by construction)
and, given check rows (the registration's), converts final estimators with skl2onnx; it then
checks the compiled answers against the original model's on those rows (identical labels,
probabilities within `PROBA_TOLERANCE`), and any difference or error falls back to the original
object. A preprocessing program must also give the very matrix scikit-learn's steps give on
those rows. ONNX and programs are only used after such a check (`onnx="try"`, `program="try"`)
or when the model card recorded one ("trusted"). `path` names what runs the final estimators:
"sklearn", "sklearn_shared_preprocess", "onnx" or "onnx_shared_preprocess"; `preprocess` names
what runs the preprocessing: "numpy" or "sklearn".

A compiled form answers `predict` / `predict_proba` for a DataFrame typed like the training rows
or for `rowplan.Columns` (request rows column by column, no DataFrame built).
"""

from __future__ import annotations

import logging
import sys
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
import pandas as pd

from modeling.rowplan import Columns, RowProgram, compile_prefix, program_matches

logger = logging.getLogger(__name__)

PROBA_TOLERANCE = 1e-5
SKLEARN = "sklearn"
SHARED = "sklearn_shared_preprocess"
ONNX = "onnx"
ONNX_SHARED = "onnx_shared_preprocess"
NUMPY_PREPROCESS = "numpy"
SKLEARN_PREPROCESS = "sklearn"
# Final estimators converted to ONNX (skl2onnx converters; the check decides if they are used).
# Trees get float32 rows, as scikit-learn's own tree code casts them (ONNX stores thresholds in
# float32, so float64 rows would fall on the other side of a split now and then); linear models
# get float64 rows.
ONNX_TREES = frozenset(
    {
        "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier",
        "ExtraTreesRegressor", "GradientBoostingClassifier", "GradientBoostingRegressor",
        "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
    }
)  # fmt: skip
ONNX_ESTIMATORS = ONNX_TREES | {"LogisticRegression", "Ridge", "LinearRegression"}
# ONNX trees sum in float32: probabilities are rounded to this many decimals, so a tie in
# scikit-learn (0.5 / 0.5) stays a tie and the first class wins in both.
ONNX_DECIMALS = 6
# skl2onnx converts trees at about 90,000 nodes a second on a busy core (a 200-tree forest of
# 10.9 million nodes took 120 s and gave a 450 MB ONNX model). Above this many nodes in all, a
# model is served by scikit-learn: every process that loads it would pay the conversion again.
ONNX_MAX_NODES = 1_000_000
ONNX_NODES_PER_S = 80_000  # the conversion rate `compile_cost_s` predicts with (a bit slow)
CHECK_BASE_S = 0.3  # the rest of a serving check: reading its rows, programs, the comparison
# ...and per input column of each member: the check runs the model's own preprocessing on its
# rows several times. A two-member blend on a 1,107-column table checked in 1.5-2.0 s under load
# against 0.83 s predicted (a few trees, no width), which ran its 60 s job to 65 s.
CHECK_COLUMN_S = 0.0006
CHECK_IMPORT_S = 1.5  # importing skl2onnx and onnxruntime (1.1 s measured on an idle machine)
_BOOLEAN_ATTRIBUTE = r"Field onnx\.AttributeProto\.ints: Expected an int, got a boolean"


class OnnxEstimator:
    """A fitted final estimator run by ONNX Runtime on float64 rows: `predict_proba`,
    `predict` and `classes_` like the original's (labels come from the probabilities)."""

    def __init__(self, original: Any, payload: bytes, dtype: Any = np.float64):
        self.classes_ = getattr(original, "classes_", None)
        self.payload = payload
        self.dtype = dtype
        self._session: Any = None
        self._lock = threading.Lock()

    def _run(self, X: Any) -> list[Any]:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    import onnxruntime as ort

                    options = ort.SessionOptions()
                    options.intra_op_num_threads = 1
                    options.inter_op_num_threads = 1
                    self._session = ort.InferenceSession(
                        self.payload, options, providers=["CPUExecutionProvider"]
                    )
                    self._input = self._session.get_inputs()[0].name
        rows = np.ascontiguousarray(np.asarray(X, dtype=self.dtype))
        return self._session.run(None, {self._input: rows})

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in `classes_` order (rounded, see ONNX_DECIMALS)."""
        return np.round(np.asarray(self._run(X)[1], dtype=np.float64), ONNX_DECIMALS)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class, or the predicted values."""
        if self.classes_ is not None:
            return np.asarray(self.classes_)[np.argmax(self.predict_proba(X), axis=1)]
        return np.asarray(self._run(X)[0], dtype=np.float64).ravel()


def to_onnx(estimator: Any, n_features: int) -> OnnxEstimator | None:
    """`estimator` converted for ONNX Runtime, or None when it is not a supported kind or the
    conversion fails (logged)."""
    kind = type(estimator).__name__
    if kind not in ONNX_ESTIMATORS:
        return None
    categorical = getattr(estimator, "is_categorical_", None)
    if categorical is not None and np.any(categorical):
        # skl2onnx converts category splits as thresholds: wrong answers, not an error.
        return None
    dtype = np.float32 if kind in ONNX_TREES else np.float64
    try:
        from skl2onnx import to_onnx as convert

        options = {id(estimator): {"zipmap": False}} if hasattr(estimator, "classes_") else None
        with warnings.catch_warnings():
            # skl2onnx gives tree leaves a boolean "missing tracks true"; protobuf 6 takes it
            # with this warning (the pinned version, see requirements/base.txt).
            warnings.filterwarnings("ignore", _BOOLEAN_ATTRIBUTE, DeprecationWarning)
            model = convert(
                estimator,
                np.zeros((1, n_features), dtype=dtype),
                options=options,
                target_opset={"": 18, "ai.onnx.ml": 3},
            )
        converted = OnnxEstimator(estimator, model.SerializeToString(), dtype)
        converted._run(np.zeros((1, n_features)))  # the runtime accepts it
        return converted
    except Exception:
        logger.exception("serving: %s could not be converted to ONNX", type(estimator).__name__)
        return None


def tree_nodes(estimator: Any) -> int:
    """Nodes in all the trees of a fitted tree ensemble (forests, gradient and histogram
    boosting); 0 for any other estimator."""
    predictors = getattr(estimator, "_predictors", None)  # histogram boosting
    if predictors is not None:
        return int(sum(len(p.nodes) for per_iter in predictors for p in per_iter))
    trees = getattr(estimator, "estimators_", None)
    if trees is None or type(estimator).__name__ not in ONNX_TREES:
        return 0
    return int(sum(t.tree_.node_count for t in np.ravel(np.asarray(trees, dtype=object))))


def _finals(fitted: Any) -> list[Any]:
    """The final estimators `compile_for_serving` would convert: a blend's members' or the
    pipeline's own."""
    blend = _blend_of(fitted)
    members = blend.estimators_ if blend is not None else [fitted]
    finals = []
    for member in members:
        steps = getattr(member, "steps", None)
        if steps:
            finals.append(steps[-1][1])
    return finals


def model_tree_nodes(fitted: Any) -> int:
    """Tree nodes of every final estimator that would be converted for ONNX Runtime."""
    return sum(tree_nodes(f) for f in _finals(fitted) if type(f).__name__ in ONNX_ESTIMATORS)


def input_width(fitted: Any) -> int:
    """Input columns the model's own predictions read: a blend's members' summed (each runs its
    preprocessing), else the model's."""
    blend = _blend_of(fitted)
    members = blend.estimators_ if blend is not None else [fitted]
    return sum(int(getattr(m, "n_features_in_", 0) or 0) for m in members)


def compile_cost_s(fitted: Any) -> float:
    """Predicted seconds of `fitted`'s serving check at registration (converting its trees
    dominates, then the width of its input; a model over ONNX_MAX_NODES is not converted)."""
    nodes = model_tree_nodes(fitted)
    converted = nodes if nodes <= ONNX_MAX_NODES else 0
    # A worker preloads the converter (vur.celery.PRELOAD); a process that has not pays for it.
    importing = CHECK_IMPORT_S if "skl2onnx" not in sys.modules else 0.0
    return (
        CHECK_BASE_S
        + importing
        + converted / ONNX_NODES_PER_S
        + input_width(fitted) * CHECK_COLUMN_S
    )


def _prefix_output(prefix: Any, program: RowProgram | None, X: Any) -> Any:
    """The final estimator's input: the program's matrix, or the fitted prefix's output."""
    if program is not None:
        return program.transform_columns(X.data) if isinstance(X, Columns) else program.transform(X)
    return prefix.transform(X.frame() if isinstance(X, Columns) else X)


def _final_input(final: Any, Xt: Any) -> Any:
    """A program's matrix named like the frame a scikit-learn estimator was fitted on."""
    if isinstance(Xt, np.ndarray) and not isinstance(final, OnnxEstimator):
        names = getattr(final, "feature_names_in_", None)
        if names is not None:
            return pd.DataFrame(Xt, columns=names)
    return Xt


class CompiledPipeline:
    """A fitted Pipeline served as its preprocessing (numpy program or its fitted steps) and its
    final estimator (in ONNX Runtime or scikit-learn)."""

    def __init__(self, prefix: Any, final: Any, program: RowProgram | None = None):
        self.prefix, self.final, self.program = prefix, final, program
        self.classes_ = getattr(final, "classes_", None)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of the rows, columns in `classes_` order."""
        Xt = _final_input(self.final, _prefix_output(self.prefix, self.program, X))
        return self.final.predict_proba(Xt)

    def predict(self, X: Any) -> np.ndarray:
        """Labels or values of the rows."""
        return self.final.predict(
            _final_input(self.final, _prefix_output(self.prefix, self.program, X))
        )


OnnxPipeline = CompiledPipeline  # its name before programs existed


@dataclass
class _Group:
    """Members sharing one fitted preprocessing prefix: (final estimator, weight) pairs."""

    prefix: Any
    members: list[tuple[Any, float]] = field(default_factory=list)
    program: RowProgram | None = None


class SharedPreprocessBlend:
    """A weighted blend (predict_proba / predict like the original) that transforms the rows once
    per distinct fitted preprocessing, then asks each member's final estimator."""

    def __init__(self, groups: list[_Group], weights_classes: Any, problem_type: str):
        self.groups = groups
        self.classes_ = weights_classes
        self.problem_type = problem_type
        self.converted = 0  # members whose final estimator runs in ONNX Runtime

    def _transformed(self, X: Any) -> Iterator[tuple[Any, Any]]:
        for group in self.groups:
            yield group, _prefix_output(group.prefix, group.program, X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Weighted mean of the members' probabilities, columns in `classes_` order."""
        total = np.zeros((len(X), len(self.classes_)))
        order = {c: i for i, c in enumerate(self.classes_.tolist())}
        for group, Xt in self._transformed(X):
            for est, weight in group.members:
                cols = [order[c] for c in np.asarray(est.classes_).tolist()]
                total[:, cols] += weight * np.asarray(est.predict_proba(_final_input(est, Xt)))
        return total

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class, or the weighted mean prediction."""
        if self.problem_type == "classification":
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        total = np.zeros(len(X))
        for group, Xt in self._transformed(X):
            for est, weight in group.members:
                total += weight * np.asarray(est.predict(_final_input(est, Xt)), dtype=float)
        return total


@dataclass
class ServingModel:
    """What answers requests (`model`), the original fitted object and the path's name."""

    model: Any
    original: Any
    path: str
    detail: str = ""
    preprocess: str = SKLEARN_PREPROCESS

    @property
    def classes_(self) -> Any:
        """The original model's classes (labels in the type it was trained on)."""
        return self.original.classes_

    def _rows(self, X: Any) -> Any:
        """`X` as the serving model takes it (a frame for a model served as trained)."""
        if isinstance(X, Columns) and not isinstance(
            self.model, (CompiledPipeline, SharedPreprocessBlend)
        ):
            return X.frame()
        return X

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of a frame or of `Columns`."""
        return np.asarray(self.model.predict_proba(self._rows(X)))

    def predict(self, X: Any) -> np.ndarray:
        """Labels or values of a frame or of `Columns`."""
        return np.asarray(self.model.predict(self._rows(X)))

    @property
    def final(self) -> Any:
        """The original model's final estimator."""
        steps = getattr(self.original, "steps", None)
        return steps[-1][1] if steps else getattr(self.original, "final", self.original)


def _blend_of(fitted: Any) -> Any | None:
    """The blend inside `fitted` (a Pipeline of passthrough steps ending in a blend), or None."""
    steps = getattr(fitted, "steps", None)
    if not steps or any(step not in ("passthrough", None) for _, step in steps[:-1]):
        return None
    final = steps[-1][1]
    members = getattr(final, "estimators_", None)
    if not members or not hasattr(final, "weights_") or not hasattr(final, "problem_type"):
        return None
    if not all(hasattr(m, "steps") and len(m.steps) >= 2 for m in members):
        return None
    return final


def _final_of(member: Any, onnx: bool) -> tuple[Any, bool]:
    final = member.steps[-1][1]
    n_features = getattr(final, "n_features_in_", None)
    if onnx and n_features:
        converted = to_onnx(final, int(n_features))
        if converted is not None:
            return converted, True
    return final, False


def _program_of(prefix: Any, mode: str, rows: pd.DataFrame | None) -> RowProgram | None:
    """The numpy program of a fitted prefix when `mode` allows one and it matches scikit-learn's
    steps on `rows` (mode "try"), else None."""
    if mode == "off":
        return None
    try:
        program = compile_prefix(prefix)
        if program is None or mode == "trusted":
            return program
        if rows is None or not len(rows) or not program_matches(prefix, program, rows):
            return None
        return program
    except Exception:
        logger.exception("serving: the preprocessing program could not be built or checked")
        return None


def _shared_blend(
    blend: Any, onnx: bool = False, programs: str = "off", rows: pd.DataFrame | None = None
) -> SharedPreprocessBlend | None:
    """Members grouped by their fitted prefix's content hash (final estimators in ONNX where
    `onnx` and convertible, preprocessing as a numpy program where `programs` allows); None when
    no two share a prefix and nothing is converted or compiled."""
    groups: dict[str, _Group] = {}
    converted = 0
    for member, weight in zip(blend.estimators_, blend.weights_, strict=True):
        prefix = member[:-1]
        key = joblib.hash(prefix)
        final, done = _final_of(member, onnx)
        converted += done
        if key not in groups:
            groups[key] = _Group(prefix=prefix, program=_program_of(prefix, programs, rows))
        groups[key].members.append((final, float(weight)))
    compiled = sum(g.program is not None for g in groups.values())
    if len(groups) == len(blend.estimators_) and not converted and not compiled:
        return None
    classes = np.asarray(blend.classes_) if blend.problem_type == "classification" else None
    shared = SharedPreprocessBlend(list(groups.values()), classes, blend.problem_type)
    shared.converted = converted
    return shared


def answers_match(original: Any, compiled: Any, rows: pd.DataFrame, classification: bool) -> str:
    """ "" when `compiled` answers `rows` like `original` (identical labels, probabilities within
    PROBA_TOLERANCE; regression values within the same tolerance relative), else why not."""
    if classification and hasattr(original, "predict_proba"):
        want = np.asarray(original.predict_proba(rows), dtype=float)
        got = np.asarray(compiled.predict_proba(rows), dtype=float)
        if want.shape != got.shape or not np.allclose(got, want, rtol=0, atol=PROBA_TOLERANCE):
            return "probabilities differ"
        want_labels = np.asarray(original.predict(rows))
        if not np.array_equal(np.asarray(compiled.predict(rows)), want_labels):
            return "labels differ"
        return ""
    want = np.asarray(original.predict(rows), dtype=float)
    got = np.asarray(compiled.predict(rows), dtype=float)
    if want.shape != got.shape or not np.allclose(got, want, rtol=PROBA_TOLERANCE, atol=1e-9):
        return "predictions differ"
    return ""


def _checked(fitted: Any, compiled: Any, rows: pd.DataFrame | None, classification: bool) -> str:
    """Why `compiled` may not serve `fitted` ("" when it may): its answers on `rows` differ."""
    if rows is None or not len(rows):
        return ""
    try:
        return answers_match(fitted, compiled, rows, classification)
    except Exception as exc:
        logger.exception("serving: the compiled model failed on the check rows")
        return f"failed: {type(exc).__name__}"


def _single(fitted: Any, rows: pd.DataFrame | None, onnx: str, programs: str) -> ServingModel:
    steps = getattr(fitted, "steps", None)
    final = steps[-1][1] if steps else None
    n_features = getattr(final, "n_features_in_", None)
    as_trained = ServingModel(model=fitted, original=fitted, path=SKLEARN)
    if final is None or (onnx == "off" and programs == "off"):
        return as_trained
    prefix = fitted[:-1]
    program = _program_of(prefix, programs, rows)
    converted = to_onnx(final, int(n_features)) if onnx != "off" and n_features else None
    notes = [] if converted or onnx == "off" else [f"{type(final).__name__} is not in ONNX"]
    if programs != "off" and program is None:
        notes.append("preprocessing not compiled")
    tries = [(converted, program), (converted, None), (final, program)]
    for est, prog in dict.fromkeys((e, p) for e, p in tries if e is not None):
        if est is final and prog is None:
            continue
        compiled = CompiledPipeline(prefix, est, prog)
        why = _checked(fitted, compiled, rows, hasattr(final, "classes_"))
        if why:
            notes.append(f"{'ONNX' if est is converted else 'numpy preprocessing'} refused: {why}")
            continue
        path = ONNX if est is converted else SKLEARN
        what = f"{type(final).__name__} in {'ONNX Runtime' if path == ONNX else 'scikit-learn'}"
        return ServingModel(
            model=compiled, original=fitted, path=path, detail="; ".join([what, *notes]),
            preprocess=NUMPY_PREPROCESS if prog is not None else SKLEARN_PREPROCESS,
        )  # fmt: skip
    as_trained.detail = "; ".join(notes)
    return as_trained


def compile_for_serving(
    fitted: Any,
    check_rows: pd.DataFrame | None = None,
    *,
    onnx: str | None = None,
    program: str | None = None,
) -> ServingModel:
    """The fastest faithful serving form of `fitted`; `check_rows` (typed like training rows)
    verify it against the original, falling back on any difference or error.

    `onnx` and `program` (the numpy preprocessing): "try" (the default with check rows: build,
    keep only if the check passes), "trusted" (a card recorded a passed check: build without
    rows) or "off" (the default without check rows).
    """
    default = "try" if check_rows is not None and len(check_rows) else "off"
    onnx, program = onnx or default, program or default
    rows = check_rows
    too_large = ""
    if onnx != "off" and (nodes := model_tree_nodes(fitted)) > ONNX_MAX_NODES:
        onnx, too_large = "off", f"trees too large for ONNX ({nodes:,} nodes)"
    served = _compile(fitted, rows, onnx, program)
    if too_large:
        served.detail = "; ".join(d for d in (served.detail, too_large) if d)
    return served


def _compile(fitted: Any, rows: pd.DataFrame | None, onnx: str, program: str) -> ServingModel:
    """`compile_for_serving` once the ONNX and program modes are settled."""
    blend = _blend_of(fitted)
    if blend is None:
        return _single(fitted, rows, onnx, program)
    classification = blend.problem_type == "classification"
    attempts = [(o, p) for o in ([True, False] if onnx != "off" else [False])
                for p in ([program, "off"] if program != "off" else ["off"])]  # fmt: skip
    detail, refused = "no two members share a fitted preprocessing", ""
    for use_onnx, programs in attempts:
        try:
            shared = _shared_blend(blend, onnx=use_onnx, programs=programs, rows=rows)
        except Exception:
            logger.exception("serving: the blend's serving form could not be built")
            shared = None
        if shared is None:
            continue
        why = _checked(fitted, shared, rows, classification)
        if why:
            detail = f"{'ONNX' if use_onnx else 'shared preprocessing'} refused: {why}"
            refused = f"; {detail}" if use_onnx else refused
            continue
        groups = len(shared.groups)
        path = (ONNX_SHARED if shared.converted else SHARED) if groups < len(
            blend.estimators_
        ) else (ONNX if shared.converted else SKLEARN)  # fmt: skip
        compiled = sum(g.program is not None for g in shared.groups)
        return ServingModel(
            model=shared,
            original=fitted,
            path=path,
            detail=f"{len(blend.estimators_)} members, {groups} preprocessing pass(es) "
            f"({compiled} numpy), {shared.converted} in ONNX Runtime{refused}",
            preprocess=NUMPY_PREPROCESS if compiled == groups else SKLEARN_PREPROCESS,
        )
    return ServingModel(model=fitted, original=fitted, path=SKLEARN, detail=detail)


def serving_card(served: ServingModel, checked_rows: int) -> dict[str, Any]:
    """The model card's `serving` entry: which path serves and on how many rows it was checked."""
    return {
        "path": served.path,
        "preprocess": served.preprocess,
        "detail": served.detail,
        "checked_rows": int(checked_rows),
    }
