"""The registry the mutant modules share (mutants.py, mutants_table.py):
``@mutant`` records each fault in ``MUTANTS`` in definition order, which is
the order of mutants.json."""

from __future__ import annotations


class Patcher:
    """Sets attributes and remembers how to undo them."""

    def __init__(self):
        self.saved = []

    def set(self, obj, name, value):
        self.saved.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    def undo(self):
        while self.saved:
            obj, name, value = self.saved.pop()
            setattr(obj, name, value)


MUTANTS = {}


PREFER = {}


SIDE = {}


def mutant(name, description, prefer=(), prefix="ndarray-", side=None):
    """Register a mutant; ``prefer`` names vectors (``prefix`` + name) to list
    first in mutants.json; ``side`` ("decode" or "encode") says which vectors
    can kill it through the runner, which judges an encoder's output with the
    reference decoder (a decoder fault shows in decode vectors only)."""
    def register(fn):
        MUTANTS[name] = (description, fn)
        PREFER[name] = [prefix + v for v in prefer]
        SIDE[name] = side
        return fn
    return register
