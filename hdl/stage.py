"""A pipeline register: named fields plus ``valid``, with hold, bubble and flush."""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.hdl import ShapeLike, Value


class Stage:
    """The register in front of one pipeline stage.

    Each cycle the stage either loads new contents (``load``), keeps what it
    has (hold: ``load`` low), or is emptied (``flush``, which wins over ``load``
    for ``valid``). Loading with ``valid`` low inserts a bubble.
    """

    def __init__(self, name: str, layout: dict[str, ShapeLike]):
        self.name = name
        self.valid = Signal(name=f"{name}_valid")
        self.fields = {k: Signal(shape, name=f"{name}_{k}") for k, shape in layout.items()}

    def __getattr__(self, key: str) -> Signal:
        fields = self.__dict__.get("fields", {})
        if key in fields:
            return fields[key]
        raise AttributeError(key)

    def update(self, m: Module, *, load: Value, valid: Value, flush: Value | int = 0,
               **values: Value) -> None:
        unknown = set(values) - set(self.fields)
        assert not unknown, f"{self.name}: no fields {unknown}"
        with m.If(flush):
            m.d.sync += self.valid.eq(0)
        with m.Elif(load):
            m.d.sync += self.valid.eq(valid)
        # a flushed stage's fields are never read (everything that uses them is qualified
        # by ``valid``), so they load on ``load`` alone: the flush, a late signal (a branch
        # resolved in EX), then reaches three valid flip-flops rather than every field's enable
        with m.If(load):
            m.d.sync += [self.fields[k].eq(v) for k, v in values.items()]
