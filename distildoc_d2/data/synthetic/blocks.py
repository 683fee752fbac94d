"""Page elements of known size that draw themselves, and groups of them.

A block is built for a fixed width; its `height` is known before it is drawn, so a layout can
place it. `draw(canvas, x, y)` draws it with its top-left corner at (x, y) and annotates the
canvas. Blocks that can continue in another column implement `split`.
"""


class Block:
    """Base class: `width` and `height` in pixels, `draw` and optional `split`."""

    width = 0
    height = 0

    def draw(self, canvas, x, y):
        raise NotImplementedError

    def split(self, max_height):
        """(head, tail) with head.height <= max_height, or None if this block cannot be split there."""
        return None


class Stack(Block):
    """Blocks drawn top to bottom with `gap` pixels between them, each centred horizontally."""

    def __init__(self, blocks, gap, width=None):
        self.blocks = list(blocks)
        self.gap = int(gap)
        self.width = width if width is not None else max(b.width for b in self.blocks)
        self.height = sum(b.height for b in self.blocks) + self.gap * (len(self.blocks) - 1)

    def draw(self, canvas, x, y):
        for block in self.blocks:
            block.draw(canvas, x + (self.width - block.width) // 2, y)
            y += block.height + self.gap


class Row(Block):
    """Blocks drawn left to right, `gap` pixels apart, tops aligned, the row centred in `width`."""

    def __init__(self, blocks, gap, width):
        self.blocks = list(blocks)
        self.gap = int(gap)
        self.width = width
        self.height = max(b.height for b in self.blocks)

    def draw(self, canvas, x, y):
        used = sum(b.width for b in self.blocks) + self.gap * (len(self.blocks) - 1)
        x += max(0, (self.width - used) // 2)
        for block in self.blocks:
            block.draw(canvas, x, y)
            x += block.width + self.gap


class Rule(Block):
    """A horizontal line (not annotated), e.g. a separator between sections."""

    def __init__(self, width, thickness, color, length=None):
        self.width = width
        self.height = thickness
        self.length = length or width
        self.color = color

    def draw(self, canvas, x, y):
        canvas.hline(x, x + self.length, y, self.color, self.height)
