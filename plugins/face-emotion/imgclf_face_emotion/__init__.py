"""imgclf plugin: facial emotion recognition (8 AffectNet classes) and valence/arousal.

Networks from Hewitt & Gunes 2018; data sets AffectNet (its CSV files, with
valence/arousal for ``--head va``), FER2013 (folders, or ``fer2013.csv`` with
optional FER+ labels), FER+ in its FERPlus folder layout, the LFW
``facial_expressions`` CSV, or any folder/CSV with these labels.
"""

from pathlib import Path

from imgclf import DatasetLoader, Head, Reference, TaskSpec, hookimpl

from . import affectnet, augment, fer2013, ferplus, models

CLASSES = ("anger", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprise")
ALIASES = {
    "angry": "anger",
    "happiness": "happy",
    "sadness": "sad",
    "surprised": "surprise",
    "disgusted": "disgust",
    "fearful": "fear",
    "contemptuous": "contempt",
}
#: Valence and arousal lie in [-1, 1]: a tanh output can only predict valid values,
#: and starts near 0, the middle of the range (a linear output may leave it).
VA_HEAD = Head("regression", targets=("valence", "arousal"), activation="tanh")
PAPER = "Hewitt & Gunes 2018"
REFERENCES = (
    Reference("classes", "accuracy", 0.58, "AffectNet", PAPER, "8-class accuracy", ("affectnet",)),
    Reference("va", "rmse_mean", 0.39, "AffectNet", PAPER, "average RMSE", ("affectnet",)),
)
#: Training recipes shipped with the plugin: ``--config fer2013-fervgg``.
RECIPES = {p.stem: p for p in sorted((Path(__file__).parent / "recipes").glob("*.toml"))}
TASK = TaskSpec(
    name="face-emotion",
    classes=CLASSES,
    input_size=128,
    head="softmax",
    default_model="alexnet",
    default_augmenter="paper",
    label_aliases=ALIASES,
    # Tried before the generic folder loader: a FERPlus folder would read as class folders.
    datasets=("affectnet", "fer2013-csv", "ferplus"),
    # The paper reports accuracy: keep the epoch with the best validation accuracy.
    defaults={"epochs": 40, "patience": 10, "monitor": "val_accuracy"},
    # LFW file names are Person_Name_0001.jpg: keep each person in one split.
    loader_defaults={"group_pattern": r"^(.+)_\d{4}$"},
    description="8 facial emotions (AffectNet classes), Hewitt & Gunes 2018",
    heads={"va": VA_HEAD},
    references=REFERENCES,
    recipes=RECIPES,
)


@hookimpl
def register_tasks(register):
    register("face-emotion", TASK)


@hookimpl
def register_datasets(register):
    register(
        "affectnet",
        DatasetLoader(
            affectnet.load_affectnet,
            affectnet.detect_affectnet,
            "AffectNet training.csv/validation.csv (face boxes, expression, valence/arousal)",
            ("images_root",),
        ),
    )
    register(
        "fer2013-csv",
        DatasetLoader(
            fer2013.load_fer2013_csv,
            fer2013.detect_fer2013_csv,
            "the original fer2013.csv (pixels column); FER+ votes with loader.ferplus=FILE",
            ("ferplus",),
        ),
    )
    register(
        "ferplus",
        DatasetLoader(
            ferplus.load_ferplus,
            ferplus.detect_ferplus,
            "FER+ folders FER2013Train/Valid/Test with label.csv votes; "
            "loader.mode=majority|probability",
            ("mode",),
        ),
    )


@hookimpl
def register_models(register):
    for name, build in models.MODELS.items():
        register(name, build)


@hookimpl
def register_augmenters(register):
    # Task-scoped names: '--augmenter paper' means this one in a face-emotion run.
    register("face-emotion/paper", augment.paper)
    register("face-emotion/paper-keras", augment.paper_keras_core)
