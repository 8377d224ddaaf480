"""sciwire-py: a Python codec for sciwire ndarray envelopes.

A second, independent implementation of the sciwire specification
(``spec/src/``), written from the specification's text alone.

    >>> import numpy as np, sciwire_py
    >>> text = sciwire_py.dumps(np.arange(6.0).reshape(2, 3), encoding="json")
    >>> sciwire_py.loads(text)
    array([[0., 1., 2.],
           [3., 4., 5.]])
"""

from __future__ import annotations

from typing import Union

import numpy as np

from .decoder import Decoded, decode as _decode
from .encoder import dumps, from_canonical, to_canonical
from .errors import CODES, SciwireError, UnrepresentableError
from .limits import DEFAULT_LIMITS, Limits

__version__ = "0.1.0"

__all__ = ["loads", "dumps", "decode", "to_canonical", "from_canonical", "Limits", "SciwireError",
           "UnrepresentableError", "Decoded", "CODES", "__version__"]


def decode(data: Union[bytes, str], limits: Limits = DEFAULT_LIMITS) -> Decoded:
    """Decode an envelope into a :class:`Decoded` (dtype, shape, array).

    Unlike :func:`loads` this never needs numpy to represent the dtype, so it
    also returns the (valid, empty) arrays of ``<U{n}`` dtypes wider than
    numpy allows; ``Decoded.canonical()`` gives the canonical value.
    """
    return _decode(data, limits)


def loads(data: Union[bytes, str], limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """Decode an ndarray envelope (JSON text as bytes or str) into a numpy array.

    Raises :class:`SciwireError` with the specification's code when the input
    breaks a rule. The array is C-contiguous, little-endian and owns its data.
    """
    return _decode(data, limits).to_numpy()
