"""imgclf plugin: facial emotion recognition (8 AffectNet classes).

Networks from Hewitt & Gunes 2018; data sets FER2013 (7 of the classes, folders),
the LFW ``facial_expressions`` CSV, or any folder/CSV with these labels.
"""

from imgclf import TaskSpec, hookimpl

from . import augment, models

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
TASK = TaskSpec(
    name="face-emotion",
    classes=CLASSES,
    input_size=128,
    head="softmax",
    default_model="alexnet",
    default_augmenter="paper",
    label_aliases=ALIASES,
    # The paper reports accuracy: keep the epoch with the best validation accuracy.
    defaults={"epochs": 40, "patience": 10, "monitor": "val_accuracy"},
    # LFW file names are Person_Name_0001.jpg: keep each person in one split.
    loader_defaults={"group_pattern": r"^(.+)_\d{4}$"},
    description="8 facial emotions (AffectNet classes), Hewitt & Gunes 2018",
)


@hookimpl
def register_tasks(register):
    register("face-emotion", TASK)


@hookimpl
def register_models(register):
    for name, build in models.MODELS.items():
        register(name, build)


@hookimpl
def register_augmenters(register):
    # Task-scoped names: '--augmenter paper' means this one in a face-emotion run.
    register("face-emotion/paper", augment.paper)
    register("face-emotion/paper-keras", augment.paper_keras_core)
