"""Generic dataset loaders: ``folder`` and ``csv``."""

from .._data.csv_loader import detect_csv, load_csv
from .._data.folder import detect_folder, load_folder
from .._data.records import DatasetLoader
from .._hookspecs import hookimpl


@hookimpl
def register_datasets(register):
    register(
        "folder",
        DatasetLoader(
            load_folder,
            detect_folder,
            "one subfolder per class, optionally inside train/val(tune)/test folders",
            ("group_pattern",),
        ),
    )
    register(
        "csv",
        DatasetLoader(
            load_csv,
            detect_csv,
            "a CSV naming image files and labels (paths relative to it or images_root)",
            ("image_column", "label_column", "group_column", "group_pattern", "images_root"),
        ),
    )
