"""A cache prefetch hint for compiled kernels that gather from random customers.

Word of mouth reads what each customer's contacts say, and in a small-world
or scale-free graph a tenth or more of those contacts sit anywhere in the
population. At a million customers each such read waits about 100 ns for
memory, one after another, which made hearing cost four times as much as
reading the contact list itself. Asking for the record a hundred-odd contacts
ahead lets those waits overlap. The hint changes no value, only when memory
is fetched, so results stay bit for bit the same.

numba exposes no prefetch, so :func:`prefetch` emits LLVM's ``llvm.prefetch``
intrinsic directly.
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

PREFETCH_DISTANCE = 128
"""Contacts ahead to prefetch: on the 2-core reference machine 16 ahead saved half the waiting, 128 all
but noise, and 256 began to evict records before use (``make bench``, 1,000,000 customers)."""

_READ, _KEEP_IN_ALL_CACHES, _DATA = 0, 3, 1


@intrinsic
def prefetch(typingctx, array, index):  # pragma: no cover - compiled
    """Hint that ``array[index]`` of a 1-d array will be read soon; no effect on any value."""
    signature = types.void(array, index)

    def codegen(context, builder, sig, args):
        array_type = sig.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, [args[1]], wraparound=False)
        byte_pointer = ir.IntType(8).as_pointer()
        word = ir.IntType(32)
        hint = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, word, word, word]), "llvm.prefetch.p0i8"
        )
        builder.call(hint, [builder.bitcast(pointer, byte_pointer), *(ir.Constant(word, flag) for flag in
                                                                      (_READ, _KEEP_IN_ALL_CACHES, _DATA))])
        return context.get_dummy_value()

    return signature, codegen
