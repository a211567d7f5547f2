"""Generic augmenters on Keras core preprocessing layers."""

from ..hookspecs import hookimpl
from ..nn import augment


@hookimpl
def register_augmenters(register):
    register("flip", augment.flip)
    register("flip-rotate-translate", augment.flip_rotate_translate)
