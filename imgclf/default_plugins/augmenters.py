"""Generic augmenters on Keras core preprocessing layers."""

from .. import augment
from ..hookspecs import hookimpl


@hookimpl
def register_augmenters(register):
    register("flip", augment.flip)
    register("flip-rotate-translate", augment.flip_rotate_translate)
