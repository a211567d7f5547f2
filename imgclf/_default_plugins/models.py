"""Built-in models: the pretrained ``keras.applications`` backbones (``_nn/backbones.py``),
registered through the same ``register_models`` hook as every plugin's models."""

from .._hookspecs import hookimpl
from .._nn.backbones import BACKBONES


@hookimpl
def register_models(register):
    for backbone in BACKBONES:
        register(backbone.name, backbone)
