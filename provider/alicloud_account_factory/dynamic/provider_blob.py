"""Keep Pulumi's serialisation of a dynamic provider from growing with every resource a program declares.

Why: `pulumi.dynamic.Resource.__init__` pickles its provider with `serialize_provider`, which replaces
`pickle._Pickler._batch_setitems` by a sorting wrapper around whatever it was and never puts it back (it
restores `pickle.Pickler` only). Each dynamic resource wraps the previous wrapper, so the Nth pickles
through N nested calls, and a program that declares about 970 of them dies with RecursionError (measured
with pulumi 3.260.0; pulumi/pulumi#17803 reports the symptom). A fleet of a thousand accounts is one such
program. Around each of this package's resources the pure-Python pickler's methods are put back as they
were before, so every serialisation wraps the original once and the blob is the one the SDK would make.
"""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Iterator

#: What `serialize_provider` replaces on the pure-Python pickler class and leaves replaced.
PATCHED_BY_THE_SDK = ("_batch_setitems", "save_dict")


@contextlib.contextmanager
def provider_pickling_contained() -> Iterator[None]:
    """Run a dynamic resource's constructor; afterwards the pickler's methods are those from before it."""
    pickler = pickle._Pickler  # the class the SDK patches (it sets pickle.Pickler to it while it pickles)
    # Only what the class defines itself (all of them from Python 3.10 to 3.14): nothing else to put back.
    before = {name: vars(pickler)[name] for name in PATCHED_BY_THE_SDK if name in vars(pickler)}
    try:
        yield
    finally:
        for name, method in before.items():
            setattr(pickler, name, method)
