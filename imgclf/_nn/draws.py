"""What an augmenter drew, recovered from its output: the checks behind ``imgclf.testing``.

Augmenters run inside ``tf.data`` (graph mode), where random ops built with one
seed repeat each other's values and Keras layers given one seed share a stream;
eager calls do not show it. So the check runs there, on a coordinate-encoded
image: channel 0 holds each pixel's x and channel 1 its y, which bilinear sampling
keeps linear, so each output pixel names the input point it came from and one
least-squares fit per image gives the affine map (flip, angle, shift, zoom).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .augment import build_augmenter, seed_generators

PARAMETERS = ("flip", "angle", "dx", "dy", "scale")


def coordinate_image(size: int) -> np.ndarray:
    """(size, size, 3) floats in [0, 1]: x in channel 0, y in channel 1, 0.5 in 2."""
    ramp = np.arange(size, dtype="float32") / (size - 1)
    x, y = np.meshgrid(ramp, ramp)
    return np.stack([x, y, np.full_like(x, 0.5)], axis=-1)


def augment_in_graph(layer: Any, image: np.ndarray, n: int, batch_size: int) -> np.ndarray:
    """``n`` augmented copies of ``image`` as a run augments them: ``layer(x,
    training=True)`` inside ``Dataset.map`` on float batches. The map is sequential so
    that the draws follow from the seed alone (a parallel map may hand two batches
    one draw of a Keras SeedGenerator)."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensors(tf.constant(image)).repeat(n).batch(batch_size)
    ds = ds.map(lambda x: layer(x, training=True))
    return np.concatenate([np.asarray(b) for b in ds])


def mix_in_graph(layer: Any, n: int, batch_size: int, size: int = 8) -> np.ndarray:
    """The labels a label-mixing augmenter (MixUp, CutMix) gives ``n`` noise images
    labelled one-hot by their place in the batch, run as a run runs it (graph mode):
    each row says which images of the batch were mixed, and by how much."""
    import tensorflow as tf

    images = np.random.default_rng(0).random((n, size, size, 3), dtype=np.float32)
    labels = np.eye(batch_size, dtype="float32")[np.arange(n) % batch_size]
    ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)
    ds = ds.map(lambda x, y: layer({"images": x, "labels": y}, training=True)["labels"])
    return np.concatenate([np.asarray(b) for b in ds])


def fit_affine(points: np.ndarray, sampled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least squares ``sampled = A @ point + b`` for one image, fitted again without the
    pixels off by more than half a pixel (reflected or filled at the borders)."""
    design = np.c_[points, np.ones(len(points))]
    keep = np.ones(len(points), bool)
    for _ in range(3):
        coef = np.linalg.lstsq(design[keep], sampled[keep], rcond=None)[0]
        error = np.abs(design @ coef - sampled).max(axis=1)
        if (error[keep] < 0.05).all():
            return coef[:2].T, coef[2]
        keep = error < 0.5
        if keep.sum() < len(points) // 4:
            break
    raise AssertionError(
        "the augmented image is not an affine warp of its input (flip, rotation, shift, "
        "zoom), so its parameters cannot be recovered"
    )


def recover(images: np.ndarray) -> dict[str, np.ndarray]:
    """Per image, from augmented coordinate images: flip (1 mirrored), angle (degrees),
    dx and dy (shift of the centre, fraction of the side) and scale, fitted over the
    central half (its points stay inside the image for moderate shifts)."""
    size = images.shape[1]
    lo, hi = size // 4, size - size // 4
    v, u = np.mgrid[lo:hi, lo:hi].reshape(2, -1)
    points = np.c_[u, v].astype("float64")
    centre = np.full(2, (size - 1) / 2)
    draws = {k: np.empty(len(images)) for k in PARAMETERS}
    for i, image in enumerate(images):
        a, b = fit_affine(points, image[v, u, :2].astype("float64") * (size - 1))
        forward = np.linalg.inv(a)  # input point -> output pixel
        det = np.linalg.det(forward)
        rotation = forward @ np.diag([-1.0, 1.0]) if det < 0 else forward  # flip came first
        angle = np.degrees(np.arctan2(rotation[1, 0], rotation[0, 0]))
        shift = forward @ (centre - b) - centre
        values = (det < 0, 180.0 if angle < -179.99 else angle, *(shift / size), abs(det) ** 0.5)
        for k, value in zip(PARAMETERS, values):
            draws[k][i] = value
    return draws


def augmenter_draws(
    augmenter: Any,
    task: str | None = None,
    n: int = 512,
    size: int = 32,
    seed: int | None = 42,
    batch_size: int = 64,
    **options: Any,
) -> dict[str, np.ndarray]:
    """The transform an augmenter drew for each of ``n`` images, run as a run runs it.

    ``augmenter`` is a built layer or a registered name, built as
    ``imgclf.build_augmenter(augmenter, task, seed, **options)`` (42: a run's default
    seed). The images pass through ``tf.data`` in graph mode in batches of
    ``batch_size``, as float images in [0, 1].

    Returns:
        NumPy arrays of length ``n``: ``flip`` (1 mirrored, 0 not), ``angle`` (degrees,
        after undoing the flip), ``dx`` and ``dy`` (shift of the image centre, fraction
        of the width and height) and ``scale`` (1: no zoom).
    """
    if isinstance(augmenter, str) or augmenter is None:
        augmenter = build_augmenter(augmenter, task=task, seed=seed, **options)
    return recover(augment_in_graph(augmenter, coordinate_image(size), n, batch_size))


def correlations(draws: dict[str, np.ndarray]) -> dict[str, float]:
    """``{"angle~dx": |Pearson r|, ...}`` for each pair of parameters that vary."""
    varying = [k for k, v in draws.items() if v.std() > 1e-3]
    return {
        f"{a}~{b}": round(float(abs(np.corrcoef(draws[a], draws[b])[0, 1])), 3)
        for i, a in enumerate(varying)
        for b in varying[i + 1 :]
    }


def assert_independent_draws(
    augmenter: Any,
    task: str | None = None,
    n: int = 512,
    size: int = 32,
    seed: int | None = 42,
    max_r: float = 0.15,
    flip_rate: tuple[float, float] | None = (0.4, 0.6),
    **options: Any,
) -> dict[str, float]:
    """Check that an augmenter draws each random quantity on its own, in graph mode.

    Recovers ``n`` transforms with ``augmenter_draws`` and fails when two parameters
    that vary have an absolute Pearson correlation of ``max_r`` or more (0.15 is 3.4
    standard errors at n=512), or when the share of mirrored images lies outside
    ``flip_rate`` (``None`` for an augmenter that does not flip).

    Returns:
        ``{"flip~angle": |r|, ...}`` for every pair of varying parameters.
    """
    draws = augmenter_draws(augmenter, task, n=n, size=size, seed=seed, **options)
    table = correlations(draws)
    name = augmenter if isinstance(augmenter, str) else type(augmenter).__name__
    bad = {pair: r for pair, r in table.items() if r >= max_r}
    assert not bad, f"augmenter {name!r} draws correlated parameters (|r| >= {max_r}): {table}"
    if flip_rate is not None:
        rate = float(draws["flip"].mean())
        low, high = flip_rate
        assert low <= rate <= high, f"augmenter {name!r} mirrors {rate:.3f} of the images"
    return table


def assert_reproducible_draws(
    augmenter: str | None,
    task: str | None = None,
    seed: int = 42,
    n: int = 64,
    size: int = 32,
    **options: Any,
) -> None:
    """Check that a registered augmenter's draws follow from its seed and from nothing
    else, in graph mode: two builds with ``seed`` draw the same transforms, ``seed + 1``
    others; a second pass (the next epoch) draws new ones; and rewinding the Keras
    SeedGenerators in its layers replays the first pass (what resuming a run needs).
    A label-mixing augmenter (MixUp, CutMix) is compared by the labels it mixes, one
    that is not an affine warp (RandAugment) by its output pixels."""

    def draws(layer: Any) -> dict[str, np.ndarray]:
        if getattr(layer, "mixes_labels", False):  # MixUp, CutMix: what the labels say
            return {"labels": mix_in_graph(layer, n, batch_size=16)}
        out = augment_in_graph(layer, coordinate_image(size), n, batch_size=16)
        try:
            recovered = recover(out)
        except AssertionError:  # not an affine warp (RandAugment's colour operations)
            return {"pixels": out.reshape(len(out), -1)}
        return {k: v for k, v in recovered.items() if v.std() > 1e-3}

    def same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[str]:
        return [k for k in a if k in b and np.allclose(a[k], b[k], atol=1e-4)]

    def build(s: int) -> Any:
        return build_augmenter(augmenter, task=task, seed=s, **options)

    name = f"{task}/{augmenter}" if task else augmenter
    layer = build(seed)
    generators = seed_generators(layer)
    assert generators, f"augmenter {name!r} holds no keras.random.SeedGenerator"
    start = [np.array(g.state.numpy()) for g in generators]
    first = draws(layer)
    assert same(draws(build(seed)), first) == list(first), f"{name!r}: same seed, other draws"
    assert not same(draws(build(seed + 1)), first), f"{name!r}: seed {seed + 1} draws the same"
    repeated = same(draws(layer), first)
    assert not repeated, f"{name!r}: the next pass (epoch) repeats the draws of {repeated}"
    for generator, state in zip(generators, start):
        generator.state.assign(state)
    replayed = same(draws(layer), first)
    assert replayed == list(first), (
        f"{name!r}: rewinding its SeedGenerators replays only {replayed}: the rest of its "
        "randomness lives elsewhere"
    )
