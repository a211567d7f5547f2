"""AffectNet-format data around generated images, for the loader and regression tests."""

import csv
import os
import types

import cv2
import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HEADER = [
    "subDirectory_filePath", "face_x", "face_y", "face_width", "face_height",
    "facial_landmarks", "expression", "valence", "arousal",
]  # fmt: skip


def white_square(path, size=(40, 60), box=(10, 5, 20, 30)):
    """A black image (h x w) with a white box (x, y, w, h): the face."""
    img = np.zeros((*size, 3), "uint8")
    x, y, w, h = box
    img[y : y + h, x : x + w] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)
    return path


def write_affectnet(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for r in rows:
            w.writerow(r)
    return path


def row(name, code, va=(0.5, -0.25), box=(10, 5, 20, 30)):
    return [f"1/{name}", *box, "1.0;2.0", code, *va]


@pytest.fixture
def affectnet(tmp_path):
    """A folder like AffectNet's: training.csv, validation.csv, Manually_Annotated_Images."""
    root = tmp_path / "AffectNet"
    images = root / "Manually_Annotated_Images" / "1"
    train, test = [], []
    images.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(24):  # faces of random texture inside the box, black around it
        img = np.zeros((40, 60, 3), "uint8")
        img[5:35, 10:30] = rng.integers(0, 256, (30, 20, 3))
        cv2.imwrite(str(images / f"{i}.png"), img)
    for i in range(16):
        code = i % 8
        train.append(row(f"{i}.png", code, (round(code / 8 - 0.4, 3), 0.1 * (i % 3))))
    for i in range(8):
        va = (round(0.25 * i - 0.9, 3), round(0.8 - 0.2 * i, 3))
        test.append(row(f"{16 + i}.png", i % 8, va))
    train += [row("none.png", 8), row("unsure.png", 9), row("noface.png", 10, (-2, -2))]
    white_square(images / "nova.png", box=(0, 0, 5, 5))
    train.append(row("nova.png", 3, (-2, -2)))  # a class, but no valence/arousal
    write_affectnet(root / "training.csv", train)
    write_affectnet(root / "validation.csv", test)
    return root


@pytest.fixture
def kit():
    """The helpers above, for tests that write their own AffectNet files."""
    return types.SimpleNamespace(
        HEADER=HEADER, white_square=white_square, write_affectnet=write_affectnet, row=row
    )
