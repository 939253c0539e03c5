"""Max and average pooling: the public face of :mod:`symconv.layers.pool`.

>>> from symconv.pooling import Pool
>>> Pool(4, 2).output_shape
(2,)
"""

from symconv.layers.pool import *  # noqa: F403
from symconv.layers.pool import __all__ as __all__
