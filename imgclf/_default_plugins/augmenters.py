"""Generic augmenters on Keras core preprocessing layers."""

from .._hookspecs import hookimpl
from .._nn import augment


@hookimpl
def register_augmenters(register):
    register("flip", augment.flip)
    register("flip-rotate-translate", augment.flip_rotate_translate)
    register("mixup", augment.mixup)
    register("cutmix", augment.cutmix)
    register("randaugment", augment.randaugment)
    register("erasing", augment.erasing)
