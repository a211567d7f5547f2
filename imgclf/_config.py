"""RunConfig: every setting of a run, resolved defaults < task < file < environment < flags."""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._envvars import ENV_PREFIX, check_environment, env_name, environment_settings
from ._options import unknown_dotted
from .errors import ConfigError, did_you_mean

STRATEGIES = ("auto", "default", "mirrored", "multi-worker", "tpu")  # training/strategy.py
#: ``auto``: bf16 where the hardware has it (training/precision.py); ``off``: float32.
MIXED_PRECISION = ("auto", "off", "on", "force", "bfloat16")
OPTIMIZERS = ("adam", "adamw", "sgd")  # training/optimizers.py
LR_SCHEDULES = ("plateau", "none", "cosine", "onecycle")  # training/schedules.py
TTA = ("none", "flip", "crops", "ten-crop")  # _nn/tta.py
SPLITS = ("random", "by-source")  # data/split.py, data/bysource.py

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HEAD_THRESHOLD_WORDS = ("youden",)


def deterministic_default() -> bool:
    """``deterministic``'s default in a RunConfig built directly: ``IMGCLF_DETERMINISTIC``
    (the test suite sets it in conftest.py), read as every ``IMGCLF_`` setting is."""
    values: dict[str, Any] = {}
    apply_environment(values, ["deterministic"])
    return bool(values.get("deterministic", False))


@dataclass
class RunConfig:
    """The resolved settings of one run; saved as ``config.json`` in the run folder."""

    task: str
    model: str | None = None
    head: str = "classes"
    data: list[str] = field(default_factory=list)
    loader: str | None = None
    loader_options: dict[str, Any] = field(default_factory=dict)
    label_map: dict[str, str] = field(default_factory=dict)
    drop_unknown_labels: bool = False
    epochs: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    image_size: int | None = None
    seed: int = 42
    output: str = "runs"
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    limit: int | None = None
    patience: int = 5
    lr_schedule: str = "plateau"
    monitor: str = "val_loss"
    class_weight: str = "none"
    augmenter: str | None = None
    augmenter_options: dict[str, Any] = field(default_factory=dict)
    cache: str = "auto"
    report: list[str] = field(default_factory=lambda: ["console", "plots", "json", "html"])
    threshold: float | str = 0.5
    strict: bool = False
    allow_leakage: bool = False
    drop_leaked: bool = False
    strategy: str = "auto"
    tpu: str | None = None
    mixed_precision: str = "auto"
    tensorboard: bool = False
    #: Minutes of training after which a run pauses at an epoch's end, resumable
    #: (training/callbacks.py TimeLimit); None: no limit.
    time_limit: float | None = None
    deterministic: bool = field(default_factory=deterministic_default)
    # Fine-tuning a pretrained backbone (training/phases.py): epochs of phase 1 (the
    # new head on the frozen backbone), the blocks phase 2 unfreezes (``all`` or the
    # top N) and its learning rate as a fraction of ``lr`` (the Keras guide's 1e-5
    # after 1e-3).
    #: ``imagenet``, ``none`` (random init) or a ``.weights.h5``/``.keras`` file; None:
    #: imagenet for a pretrained backbone, none for every other model (_nn/backbones.py).
    weights: str | None = None
    frozen_epochs: int = 5
    unfreeze: int | str = "all"
    finetune_lr_factor: float = 0.01
    # Honest evaluation (docs/shortcut-learning.md): ``split`` "random" or "by-source"
    # (the test split is one whole source, ``test_source`` or a documented default),
    # ``eval_data`` external sets the final model is evaluated on after the run.
    split: str = "random"
    test_source: str | None = None
    eval_data: list[str] = field(default_factory=list)
    # The training recipe (training/optimizers.py, schedules.py; docs/recipe.md): the
    # defaults train as before (Adam, no decay, no smoothing, no TTA, no averaging).
    optimizer: str = "adam"
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float | None = None
    warmup_epochs: int = 0
    label_smoothing: float = 0.0
    tta: str = "none"
    ema: bool = False
    ema_momentum: float = 0.99

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def higher_is_better(monitor: str) -> bool:
    """Keras' 'auto' mode: accuracy-like metrics are maximised, the rest minimised."""
    return "acc" in monitor or monitor.endswith("auc")


_DICT_FIELDS = {
    "loader": "loader_options",
    "augmenter": "augmenter_options",
    "label_map": "label_map",
}
_CHOICES = {
    "lr_schedule": LR_SCHEDULES,
    "optimizer": OPTIMIZERS,
    "tta": TTA,
    "monitor": ("val_loss", "val_accuracy", "last"),
    "class_weight": ("none", "auto"),
    "cache": ("auto", "memory", "disk", "none"),
    "strategy": STRATEGIES,
    "mixed_precision": MIXED_PRECISION,
    "split": SPLITS,
}
#: Spellings of a choice: ``--set mixed_precision=true`` (or TOML ``true``) means "on".
_SYNONYMS = {
    "mixed_precision": {"true": "on", "1": "on", "yes": "on", "false": "off", "0": "off",
                        "no": "off", "none": "off"},
}  # fmt: skip


#: Settings where 'none' is a value ('--augmenter none' switches augmentation off,
#: '--weights none' means random init),
#: not "unset" (which would fall back to the task's default).
_NONE_IS_A_NAME = frozenset({"augmenter", "weights"})


def reporter_names(value: str | Sequence[str] | None) -> list[str] | None:
    """Reporters as a list, from ``"console,html"`` (``"none"``: []) or a list; None stays
    None (the caller's default). A string is never iterated letter by letter."""
    if value is None:
        return None
    if isinstance(value, str):
        if value.strip().casefold() == "none":
            return []
        return [n.strip() for n in value.split(",") if n.strip()]
    return [str(n) for n in value]


def field_names() -> list[str]:
    return [f.name for f in dataclasses.fields(RunConfig)]


def _types() -> dict[str, Any]:
    return typing.get_type_hints(RunConfig)


def _coerce(key: str, value: Any, hint: Any) -> Any:
    """Convert a string (or TOML value) to the field's type, or raise ConfigError."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    is_optional = type(None) in typing.get_args(hint)
    origin = typing.get_origin(hint)
    words = ("null", "") if key in _NONE_IS_A_NAME else ("none", "null", "")
    if isinstance(value, str) and is_optional and value.casefold() in words:
        return None
    if origin in (typing.Union, types.UnionType):
        for a in args:
            try:
                return _coerce(key, value, a)
            except ConfigError:
                continue
        raise ConfigError(f"Invalid value for {key!r}: received {value!r}.")
    if origin is list:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list):
            return [str(v) for v in value]
    if origin is dict:
        if isinstance(value, dict):
            return dict(value)
        raise ConfigError(f"{key!r} takes a table; received {value!r}.")
    try:
        if hint is bool:
            if isinstance(value, bool):
                return value
            s = str(value).casefold()
            if s in ("1", "true", "yes", "on"):
                return True
            if s in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if hint is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if hint is float:
            return float(value)
        if hint is str:
            return str(value)
    except (TypeError, ValueError):
        pass
    else:
        return value
    name = getattr(hint, "__name__", str(hint))
    raise ConfigError(f"{key!r} takes a {name}; received {value!r}.")


def apply(values: dict[str, Any], settings: dict[str, Any], where: str) -> None:
    """Merge ``settings`` (flat keys; ``loader.x``/``label_map.x`` allowed) into values."""
    hints = _types()
    for key, value in settings.items():
        head, _, rest = key.partition(".")
        if rest and head in _DICT_FIELDS:
            values.setdefault(_DICT_FIELDS[head], {})
            values[_DICT_FIELDS[head]] = {**values[_DICT_FIELDS[head]], rest: value}
            continue
        if key in ("loader", "augmenter") and isinstance(value, dict):  # TOML tables
            field_name = _DICT_FIELDS[key]
            values[field_name] = {**values.get(field_name, {}), **value}
            continue
        if rest and key not in hints:
            raise unknown_dotted(key, where, _DICT_FIELDS, values.get("model"))
        if key not in hints or key == "task":
            raise ConfigError(
                f"Unknown setting {key!r} in {where}.{did_you_mean(key, field_names())} "
                f"Settings: {', '.join(n for n in field_names() if n != 'task')}."
            )
        if key == "report":
            value = reporter_names(value)
        value = _coerce(key, value, hints[key])
        values[key] = _SYNONYMS.get(key, {}).get(str(value).casefold(), value)


def env_settable() -> list[str]:
    """Settings an environment variable can set: all but the task and the tables."""
    return [n for n in field_names() if n != "task" and n not in _DICT_FIELDS.values()]


def apply_environment(values: dict[str, Any], keys: list[str] | None = None) -> dict[str, str]:
    """Merge the settings set by ``IMGCLF_<SETTING>`` variables into values; returns
    {variable: value} of those applied."""
    used = {}
    for key, value in environment_settings(env_settable() if keys is None else keys).items():
        var = env_name(key)
        try:
            apply(values, {key: value}, f"environment variable {var}")
        except ConfigError as exc:
            raise ConfigError(
                f"Environment variable {var}={value!r}: {exc} Correct or unset {var}."
            ) from None
        used[var] = value
    return used


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """``["a=1", "loader.x=y"]`` -> dict; a pair without '=' is an error."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set takes KEY=VALUE; received {pair!r}.")
        out[key.strip()] = value.strip()
    return out


def load_toml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {str(p)!r} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {str(p)!r} is not valid TOML: {exc}.") from None


def resolve(
    task: str,
    task_defaults: dict[str, Any] | None = None,
    file: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> RunConfig:
    """Build a RunConfig: defaults < task defaults < file < ``IMGCLF_<SETTING>``
    environment variables < overrides (flags, ``--set``, keywords), then validate."""
    values: dict[str, Any] = {}
    apply(values, dict(task_defaults or {}), f"task {task!r} defaults")
    if file:
        apply(values, load_toml(file), str(file))
    check_environment(env_settable(), field_names())
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    from_env = apply_environment(values, [k for k in env_settable() if k not in given])
    apply(values, given, "options")
    config = RunConfig(task=task, **values)
    try:
        validate(config)
    except ConfigError as exc:  # name the variables of the settings the message names
        names = {var: var[len(ENV_PREFIX) :].lower() for var in from_env}
        named = [f"{var}={from_env[var]}" for var, key in names.items() if key in str(exc)]
        if not named:
            raise
        raise ConfigError(f"{exc} (Set in the environment: {', '.join(named)}.)") from None
    return config


def validate(c: RunConfig) -> None:
    """Range checks that no type can express."""
    for key in ("epochs", "batch_size", "patience"):
        if getattr(c, key) < 1:
            raise ConfigError(f"{key} must be a positive whole number; received {getattr(c, key)}.")
    for key in ("image_size", "limit"):
        v = getattr(c, key)
        if v is not None and v < 1:
            raise ConfigError(f"{key} must be a positive whole number; received {v}.")
    if c.image_size is not None and c.image_size < 8:
        raise ConfigError(f"image_size must be at least 8 pixels; received {c.image_size}.")
    if c.time_limit is not None and not c.time_limit > 0:
        raise ConfigError(f"time_limit is in minutes and must be above 0; received {c.time_limit}.")
    if not c.lr > 0:
        raise ConfigError(f"lr (learning rate) must be above 0; received {c.lr}.")
    for key in ("val_fraction", "test_fraction"):
        if not 0 <= getattr(c, key) < 0.9:
            raise ConfigError(f"{key} must be in [0, 0.9); received {getattr(c, key)}.")
    for key, choices in _CHOICES.items():
        if getattr(c, key) not in choices:
            raise ConfigError(
                f"{key} must be one of {', '.join(choices)}; received {getattr(c, key)!r}."
                f"{did_you_mean(getattr(c, key), choices)}"
            )
    if c.frozen_epochs < 0:
        raise ConfigError(f"frozen_epochs must be 0 or more; received {c.frozen_epochs}.")
    if not (c.unfreeze == "all" or isinstance(c.unfreeze, int) and c.unfreeze >= 1):
        raise ConfigError(
            f"unfreeze takes 'all' or a number of blocks (1 or more); received {c.unfreeze!r}."
        )
    if not 0 < c.finetune_lr_factor <= 1:
        raise ConfigError(f"finetune_lr_factor must be in (0, 1]; received {c.finetune_lr_factor}.")
    if c.test_source and c.split != "by-source":
        raise ConfigError(
            f"test_source={c.test_source!r} names the held-out source of a by-source split; "
            "add --split by-source."
        )
    validate_recipe(c)
    t = c.threshold
    if (
        isinstance(t, str)
        and t not in HEAD_THRESHOLD_WORDS
        or (isinstance(t, float) and not 0 < t < 1)
    ):
        raise ConfigError(f"threshold must be in (0, 1) or 'youden'; received {t!r}.")


def validate_recipe(c: RunConfig) -> None:
    """The training recipe's ranges, and settings that only mean something together."""
    if c.weight_decay is not None and c.weight_decay < 0:
        raise ConfigError(f"weight_decay must be 0 or more; received {c.weight_decay}.")
    if c.optimizer == "adam" and c.weight_decay:
        raise ConfigError(
            f"weight_decay={c.weight_decay} with optimizer=adam: Adam takes no weight decay "
            "here. Use --set optimizer=adamw (decoupled decay) or optimizer=sgd."
        )
    if not 0 <= c.momentum < 1:
        raise ConfigError(f"momentum must be in [0, 1); received {c.momentum}.")
    if c.warmup_epochs < 0:
        raise ConfigError(f"warmup_epochs must be 0 or more; received {c.warmup_epochs}.")
    if c.warmup_epochs and c.lr_schedule not in ("cosine", "onecycle"):
        raise ConfigError(
            f"warmup_epochs={c.warmup_epochs} needs a per-step schedule: --set "
            f"lr_schedule=cosine or onecycle (received lr_schedule={c.lr_schedule!r})."
        )
    if not 0 <= c.label_smoothing < 1:
        raise ConfigError(f"label_smoothing must be in [0, 1); received {c.label_smoothing}.")
    if not 0 < c.ema_momentum < 1:
        raise ConfigError(f"ema_momentum must be in (0, 1); received {c.ema_momentum}.")
