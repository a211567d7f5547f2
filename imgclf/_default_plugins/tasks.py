"""Built-in tasks: ``classify``, any folder of class folders or labelled CSV.

Registered through ``register_tasks`` like a plugin's task, so the runner, the
reports and ``imgclf list`` treat it as any other. It names no classes: each run
takes them from its data (sorted) and keeps them in its run folder's config.json,
which ``evaluate``, ``predict``, ``export`` and ``report`` read.
"""

from .._hookspecs import hookimpl
from .._tasks import TaskSpec

CLASSIFY = TaskSpec(
    name="classify",
    classes=(),  # from the data: folder names or a CSV label column
    input_size=None,  # the model's (a pretrained backbone's default_size), else 128
    head="auto",  # sigmoid for two classes, softmax for more
    default_model="mobilenetv3-small",
    datasets=("folder", "csv"),  # the built-in loaders first, before any plugin's
    description="Generic image classification: classes from the data (folders or CSV).",
)


@hookimpl
def register_tasks(register):
    register("classify", CLASSIFY)
