"""Options of pluggable things, checked before a run writes anything.

A loader declares the options it takes (``DatasetLoader.options``); an augmenter
builder declares them in its signature. A builder that takes ``**options`` checks
them itself, so only building it can tell (the runner builds it once, up front).
Models, reporters and tasks take no options. Every refusal names the option, the
thing it was meant for, the closest option that thing takes, and what to do.
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from .errors import ConfigError, ImgclfError, did_you_mean

#: ``--set PREFIX.KEY`` prefixes of things that take no options: how to name them.
NO_OPTIONS = {"model": "Models", "report": "Reporters", "reporter": "Reporters", "task": "Tasks"}


def keywords(build: Callable[..., Any], skip: Sequence[str] = ("seed",)) -> tuple[str, ...] | None:
    """The keyword options ``build`` takes (``skip`` is what the core passes itself),
    or None when it takes ``**options``: such a builder checks them itself."""
    try:
        params = inspect.signature(build).parameters.values()
    except (TypeError, ValueError):  # no signature to read: let the call decide
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(p.name for p in params if p.kind in named and p.name not in skip)


def check_options(kind: str, name: str, given: Iterable[str], takes: Sequence[str] | None) -> None:
    """Refuse the options in ``given`` that the ``kind`` called ``name`` does not take."""
    if takes is None:
        return
    unknown = [k for k in given if k not in takes]
    if not unknown:
        return
    settings = ", ".join(f"{kind}.{k}" for k in unknown)
    if len(unknown) == 1:
        only = unknown[0]
        head = f"Unknown option {only!r} for {kind} {name!r}.{did_you_mean(only, takes)}"
    else:
        listed = ", ".join(f"{k!r}{_closest(k, takes)}" for k in unknown)
        head = f"Unknown options {listed} for {kind} {name!r}."
    offer = f"It takes: {', '.join(takes)}." if takes else "It takes no options."
    raise ConfigError(
        f"{head} {offer} Fix or drop the setting {settings}, or pick another {kind} "
        f"with --{kind} (see 'imgclf list')."
    )


def _closest(value: str, choices: Iterable[str]) -> str:
    matches = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def check_run_options(config: Any, registries: Mapping[str, Any], augmenter: str | None) -> None:
    """A run's augmenter options (``augmenter``: its resolved name, None for none) and,
    when ``--loader`` names one, its loader options: before any data is read."""
    options = config.augmenter_options
    if options and augmenter is None:
        raise ConfigError(
            f"augmenter option {', '.join(options)} is set, but the run uses no augmenter "
            "(augmenter 'none'). Pick one with --augmenter, or drop the setting "
            f"{', '.join(f'augmenter.{k}' for k in options)}."
        )
    if augmenter is not None and "+" in augmenter:
        names = [n for n in augmenter.split("+") if n != "none"]
        route_options(names, options, [registries["augmenters"].get(n) for n in names])
    elif augmenter is not None:
        build = registries["augmenters"].get(augmenter)
        check_options("augmenter", augmenter, options, keywords(build))
    if config.loader:  # detected loaders are checked as read_records picks them
        loader = registries["datasets"].get(config.loader)
        check_options("loader", config.loader, config.loader_options, loader.options)


def route_options(
    names: Sequence[str], options: Mapping[str, Any], builders: Sequence[Callable[..., Any]]
) -> dict[str, dict[str, Any]]:
    """Each part's options of a combined augmenter (``flip+mixup``): ``PART.KEY`` goes
    to that part, a bare ``KEY`` to every part that takes it (one taking
    ``**options`` takes any); one part alone takes them all. Unknown: ConfigError."""
    if len(names) == 1:
        return {names[0]: dict(options)}
    bare = {n: n.rpartition("/")[2].rpartition(":")[2] for n in names}
    routed: dict[str, dict[str, Any]] = {n: {} for n in names}
    for key, value in options.items():
        part, dot, option = key.rpartition(".")
        targets = [n for n in names if dot and part in (n, bare[n])]
        if not dot:
            option = key
            takes_of = [(n, keywords(b)) for n, b in zip(names, builders)]
            targets = [n for n, takes in takes_of if takes is None or key in takes]
        if not targets:
            takes = [f"{bare[n]}.{k}" for n, b in zip(names, builders) for k in keywords(b) or ()]
            raise ConfigError(
                f"Unknown option {key!r} for augmenter {'+'.join(names)!r}."
                f"{did_you_mean(key, takes)} Its parts take: {', '.join(takes) or 'no options'} "
                "(PART.KEY or a bare KEY)."
            )
        for n in targets:
            routed[n][option] = value
    return routed


@contextlib.contextmanager
def values_checked(kind: str, name: str | None, options: Mapping[str, Any]) -> Iterator[None]:
    """Around a trial build: a builder that rejects an option's value with a plain
    TypeError/ValueError gets a message naming the options instead of a traceback."""
    try:
        yield
    except ImgclfError:
        raise
    except (TypeError, ValueError) as exc:
        given = ", ".join(f"{kind}.{k}={v!r}" for k, v in options.items())
        raise ConfigError(
            f"{kind.capitalize()} {name!r} cannot be built with {given}: {exc}. Fix the value."
        ) from None


def unknown_dotted(key: str, where: str, namespaces: Iterable[str], model: Any) -> ConfigError:
    """The error for ``--set PREFIX.KEY`` with a PREFIX that takes no KEY."""
    prefix, _, rest = key.partition(".")
    namespaces = list(namespaces)
    dotted = ", ".join(f"{n}.KEY" for n in namespaces)
    if prefix in NO_OPTIONS:
        named = prefix == "model" and model
        owner = f"Model {model!r} takes" if named else f"{NO_OPTIONS[prefix]} take"
        return ConfigError(
            f"Unknown setting {key!r} in {where}: {owner} no options. Only these settings "
            f"take a key after a dot: {dotted}. Drop the setting {key}."
        )
    hint = did_you_mean(key, [f"{n}.{rest}" for n in namespaces])
    return ConfigError(
        f"Unknown setting {key!r} in {where}.{hint} Settings with a key after a dot: {dotted}."
    )
