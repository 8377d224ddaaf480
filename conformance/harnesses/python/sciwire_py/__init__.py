"""sciwire-py: a Python codec for sciwire envelopes.

A second, independent implementation of the sciwire specification
(``spec/src/``), written from the specification's text alone. It carries
numpy arrays (``ndarray``), scipy sparse matrices (``scipy.sparse``), torch
tensors (``torch.tensor``; torch itself is optional) and scikit-learn
estimator metadata (``sklearn.estimator``; never code or fitted state).
:mod:`sciwire_py.flame` reads and writes flamepy's ``FLM`` frames (the
flame profile, spec/src/flame.md) through its own entry point.

    >>> import numpy as np, sciwire_py
    >>> text = sciwire_py.dumps(np.arange(6.0).reshape(2, 3), encoding="json")
    >>> sciwire_py.loads(text)
    array([[0., 1., 2.],
           [3., 4., 5.]])
"""

from __future__ import annotations

from typing import Union

from . import flame
from .decoder import Decoded, decode as _decode
from .encoder import dumps, encode_canonical, from_canonical, to_canonical
from .errors import CODES, SciwireError, UnrepresentableError
from .estimator import Estimator
from .limits import DEFAULT_LIMITS, Limits
from .sparse import DecodedSparse
from .table import DecodedSeries, DecodedTable
from .tensor import DecodedTensor, Tensor

__version__ = "0.2.0"

__all__ = ["flame", "loads", "dumps", "decode", "to_canonical", "from_canonical", "encode_canonical", "Limits",
           "SciwireError", "UnrepresentableError", "Decoded", "DecodedSparse", "DecodedTensor", "Tensor",
           "DecodedTable", "DecodedSeries",
           "Estimator", "CODES", "__version__"]


def decode(data: Union[bytes, str], limits: Limits = DEFAULT_LIMITS):
    """Decode an envelope into its decoded record, which has ``canonical()``
    and ``to_python()``:

    * ``ndarray``: :class:`Decoded` (dtype, shape, array). Unlike
      :func:`loads` this never needs numpy to represent the dtype, so it also
      returns the (valid, empty) arrays of ``<U{n}`` dtypes wider than numpy
      allows;
    * ``scipy.sparse``: :class:`DecodedSparse` (format, dtype, shape, data
      and the two index arrays, exactly as stored);
    * ``torch.tensor``: :class:`DecodedTensor` (torch dtype, the nested
      :class:`Decoded`, sourceDtype, sourceDevice);
    * ``sklearn.estimator``: an :class:`Estimator` record;
    * ``dataframe``: :class:`DecodedTable` (rows, typed columns of canonical
      leaves with nulls, index); ``series``: :class:`DecodedSeries`.
    """
    return _decode(data, limits)


def loads(data: Union[bytes, str], limits: Limits = DEFAULT_LIMITS):
    """Decode an envelope (JSON text as bytes or str, or a binary frame as
    bytes starting with c1) into a Python value:

    * ``ndarray``: a numpy array, C-contiguous, little-endian; from JSON text
      it owns its data, from a frame it is a view of the input's memory
      (read-only for ``bytes``) when the buffer is aligned, else one copy;
    * ``scipy.sparse``: a scipy ``csr_array``, ``csc_array`` or ``coo_array``
      holding the stored entries exactly as stored (duplicates, explicit
      zeros and unsorted indices kept);
    * ``torch.tensor``: a ``torch.Tensor`` when torch can be imported (a
      bfloat16 tensor again when ``sourceDtype`` says so), else a
      :class:`Tensor` record;
    * ``sklearn.estimator``: an :class:`Estimator` record. Nothing is
      imported or instantiated.

    Raises :class:`SciwireError` with the specification's code when the input
    breaks a rule.
    """
    return _decode(data, limits).to_python()
