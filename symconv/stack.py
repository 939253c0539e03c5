"""Stacks of layers, for ``from symconv import stack as nn``.

The public face of :mod:`symconv.layers.stack`: layer builders (:func:`conv`,
:func:`pool`, :func:`conv_transpose`, :func:`flatten`, :func:`dense`) and
:class:`Stack`.

>>> from symconv import stack as nn
>>> nn.Stack((1, 32, 32), [nn.conv(3), nn.pool(2)]).output_shape
(1, 15, 15)
"""

from symconv.layers.stack import *  # noqa: F403
from symconv.layers.stack import __all__ as __all__
