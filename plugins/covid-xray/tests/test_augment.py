"""The 'paper' augmenter, and that it reaches training batches only."""

from __future__ import annotations

import numpy as np
import pytest
from imgclf_covid_xray.augment import paper

import imgclf


def variants(image: np.ndarray) -> list[np.ndarray]:
    """The 8 images a flip and a right-angle rotation can make of ``image``."""
    return [np.rot90(f, k) for f in (image, image[:, ::-1]) for k in range(4)]


def test_paper_flips_and_turns_by_right_angles_only():
    x = np.random.default_rng(0).random((64, 6, 6, 3), dtype="float32")
    y = paper(seed=3)(x, training=True).numpy()
    seen = set()
    for xi, yi in zip(x, y):
        hits = [i for i, v in enumerate(variants(xi)) if np.array_equal(v, yi)]
        assert hits, "output is not a flip/rotation of its input"
        seen.add(hits[0])
    assert len(seen) >= 6  # the turn is drawn per image: most of the 8 variants occur


def test_paper_is_identity_outside_training_and_zoom_is_optional():
    x = np.random.default_rng(1).random((4, 8, 8, 3), dtype="float32")
    assert np.array_equal(paper(seed=0)(x, training=False).numpy(), x)
    assert [layer.name for layer in paper(zoom=0.2).layers] == ["flip", "rot90", "zoom"]
    assert paper(seed=0, zoom=0.2)(x, training=True).shape == x.shape
    with pytest.raises(imgclf.ConfigError, match="zoom"):
        paper(zoom=0.9)
    with pytest.raises(imgclf.ConfigError, match="takes seed and zoom"):
        paper(rotation=10)


def test_augmenter_touches_training_batches_only(tmp_path):
    """Validation and test batches are the decoded images, unchanged."""
    import cv2

    from imgclf import make_dataset

    rng = np.random.default_rng(2)
    records = []
    for i in range(6):
        path = tmp_path / f"img{i}.png"
        cv2.imwrite(str(path), rng.integers(0, 256, (16, 16, 3), dtype="uint8"))
        records.append(imgclf.Record(str(path), ("NORMAL", "COVID")[i % 2]))
    decoded = np.stack([cv2.imread(r.path)[..., ::-1] for r in records]) / 255.0

    def blank(x, training=False):  # what an augmenter did would show as zeros
        return x * 0.0

    def batches(training: bool) -> np.ndarray:
        ds = make_dataset(
            records,
            ("NORMAL", "COVID"),
            "sigmoid",
            16,
            4,
            training=training,
            augment=blank,
            cache="none",
        )
        return np.concatenate([x.numpy() for x, _ in ds])

    assert np.allclose(batches(False), decoded, atol=1e-6)
    assert not batches(True).any()
