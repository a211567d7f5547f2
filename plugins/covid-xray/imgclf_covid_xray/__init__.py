"""imgclf plugin: COVID-19 vs NORMAL chest X-rays (Reshi et al. 2021).

Task ``covid-xray``: classes ``NORMAL`` and ``COVID`` (in that order), 150x150x3
input, one sigmoid output scoring COVID, model ``reshi2021``, augmenter ``paper``
(flip + right-angle rotations, training split only), class weights ``auto``.

Label mapping (folder or CSV labels -> class; matched in any case):

    ========================  =======
    data set label            class
    ========================  =======
    NORMAL, No Finding        NORMAL
    COVID, COVID-19           COVID
    PNEUMONIA                 COVID
    ========================  =======

``PNEUMONIA`` is the Kaggle folder's name for its COVID-19 class (it also holds a
few SARS, ARDS and streptococcus films). Override any entry with
``--set label_map.PNEUMONIA=NORMAL`` or leave a label out with ``--set label_map.X=``.

Loaders: ``ieee8023`` (a folder with ``metadata.csv``; tried first); the Kaggle
folder and any folder of class folders or CSV work through the core loaders.

Training defaults: the paper's network learns slowly on ~150 films (validation
loss rises for 10-20 epochs before it falls), so a run trains up to 60 epochs with
early-stopping patience 25 and a fixed learning rate.
"""

from imgclf import TaskSpec, hookimpl

from . import augment, datasets, models

CLASSES = ("NORMAL", "COVID")
ALIASES = {
    "PNEUMONIA": "COVID",
    "COVID-19": "COVID",
    "No Finding": "NORMAL",
}
# Group films of one patient by file name where a naming convention says who it is:
# IM-0011-0001-0002 / NORMAL2-IM-0007-0001 (paediatric normal films; the two series
# number patients separately) and <case>[a-c]-dayN (follow-up films of one case).
GROUP_PATTERN = r"^((?:NORMAL2-)?IM-\d+(?=-)|.+?(?=[a-c]?-day\d+$))"
TASK = TaskSpec(
    name="covid-xray",
    classes=CLASSES,
    input_size=150,
    head="sigmoid",
    default_model="reshi2021",
    default_augmenter="paper",
    label_aliases=ALIASES,
    datasets=("ieee8023",),  # tried before the core loaders: it recognises metadata.csv
    defaults={
        "class_weight": "auto",
        "epochs": 60,
        "patience": 25,
        "lr_schedule": "none",
        "batch_size": 32,
    },
    loader_defaults={"group_pattern": GROUP_PATTERN},
    description="COVID-19 vs NORMAL chest X-rays, Reshi et al. 2021",
)


@hookimpl
def register_tasks(register):
    register("covid-xray", TASK)


@hookimpl
def register_models(register):
    for name, build in models.MODELS.items():
        register(name, build)


@hookimpl
def register_datasets(register):
    for name, loader in datasets.LOADERS.items():
        register(name, loader)


@hookimpl
def register_augmenters(register):
    # Task-scoped: '--augmenter paper' in a covid-xray run means this one.
    register("covid-xray/paper", augment.paper)  # --set augmenter.zoom=0.2 adds zoom
