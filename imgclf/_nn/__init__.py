"""Shared model building blocks; task plugins compose their networks from these."""

from .blocks import batch_norm, conv_bn_relu, depthwise_separable, output_layer

__all__ = ["batch_norm", "conv_bn_relu", "depthwise_separable", "output_layer"]
