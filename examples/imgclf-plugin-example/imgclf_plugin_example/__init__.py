"""imgclf plugin example: the ``shapes`` task (circle, square or triangle?).

Everything a task plugin can register, through imgclf's public API only:

- task ``shapes`` (3 classes, 32 px, softmax head, its own defaults);
- dataset loader ``shapes-manifest``: a ``shapes.jsonl`` file listing the images;
- model ``shapes-cnn``: three conv blocks and the task's head;
- augmenter ``shapes/turns``: flips and quarter turns (a shape stays that shape);
- reporter ``shape-summary``: ``summary.md`` with recall per class;
- callback (``extra_callbacks``): one CSV line per epoch of every ``shapes`` run,
  appended to ``<output>/tracking.csv``, the way a tracking service is fed.

``python -m imgclf_plugin_example DIR`` draws a small data set to try it on.
"""

from imgclf import DatasetLoader, TaskSpec, hookimpl

from . import augment, data, models, report

__version__ = "0.1.0"

TASK = TaskSpec(
    name="shapes",
    classes=data.SHAPES,
    input_size=32,
    head="softmax",
    default_model="shapes-cnn",
    default_augmenter="turns",
    label_aliases={"round": "circle", "box": "square"},
    datasets=("shapes-manifest",),  # tried first; the built-in folder/csv loaders also work
    # RunConfig values for this task: 180 drawn images learn in about 15 s on a CPU.
    defaults={"epochs": 30, "batch_size": 16, "lr": 3e-3, "patience": 10},
    description="circle, square or triangle (imgclf plugin example)",
)


# Names are global: every task, model, loader and reporter name must be unique among
# the installed plugins (imgclf refuses a clash and names both plugins). Augmenters
# are scoped to the task, "<task>/<name>".


@hookimpl
def register_tasks(register):
    register(TASK.name, TASK)


@hookimpl
def register_datasets(register):
    register(
        "shapes-manifest",
        DatasetLoader(data.load_manifest, data.detect_manifest, data.DESCRIPTION, ("label_key",)),
    )


@hookimpl
def register_models(register):
    register("shapes-cnn", models.shapes_cnn)


@hookimpl
def register_augmenters(register):
    # Task-scoped: in a run of this task '--augmenter turns' means this one.
    register(f"{TASK.name}/turns", augment.turns)


@hookimpl
def register_reporters(register):
    register("shape-summary", report.shape_summary)


@hookimpl
def extra_callbacks(config):
    if config.task != TASK.name:  # this hook is called for every run: stay out of others
        return None
    from .tracking import CsvTracker  # imports Keras: only when a run starts

    return [CsvTracker(config)]
