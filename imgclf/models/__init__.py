"""Shared model building blocks; task plugins compose their networks from these."""

from .blocks import conv_bn_relu, depthwise_separable, output_layer

__all__ = ["conv_bn_relu", "depthwise_separable", "output_layer"]
