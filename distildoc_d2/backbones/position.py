"""BEiT-style relative position bias for any patch grid, square or not.

A table holds one learned bias per head for each 2-D offset between two patches of the grid it
was trained for ((2h-1) x (2w-1) offsets), plus three rows for the class token (class to patch,
patch to class, class to class). For another grid the offset table is resized bicubically, as
absolute position embeddings are, so each offset keeps its place relative to the page; at the
trained grid the table is used unchanged.
"""
from collections import OrderedDict

import torch
import torch.nn.functional as F
from timm.models.beit import gen_relative_position_index
from torch import nn

CLASS_TOKEN_ROWS = 3


def num_relative_positions(grid):
    """Rows of a relative position table for a (h, w) grid plus a class token."""
    return (2 * grid[0] - 1) * (2 * grid[1] - 1) + CLASS_TOKEN_ROWS


def resize_rel_pos_table(table, src_grid, dst_grid):
    """A (num_relative_positions(src_grid), heads) table resized for `dst_grid` (differentiable)."""
    src_grid, dst_grid = tuple(src_grid), tuple(dst_grid)
    if src_grid == dst_grid:
        return table
    heads = table.shape[1]
    src = (2 * src_grid[0] - 1, 2 * src_grid[1] - 1)
    dst = (2 * dst_grid[0] - 1, 2 * dst_grid[1] - 1)
    offsets = table[:-CLASS_TOKEN_ROWS].reshape(*src, heads).permute(2, 0, 1).unsqueeze(0)
    offsets = F.interpolate(offsets.float(), size=dst, mode="bicubic", align_corners=False).to(table.dtype)
    offsets = offsets[0].permute(1, 2, 0).reshape(-1, heads)
    return torch.cat([offsets, table[-CLASS_TOKEN_ROWS:]], dim=0)


class PositionIndexCache:
    """Relative position index tensors ((1 + hw)^2 int64: 134 MB for a 64 x 64 page grid) by grid
    and device, least recently used first out, holding at most `max_bytes` in all; an index
    larger than that is computed for each call and not kept."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self._entries = OrderedDict()

    @property
    def nbytes(self):
        """Bytes held by the cached tensors."""
        return sum(t.numel() * t.element_size() for t in self._entries.values())

    def __call__(self, grid, device):
        key = (tuple(grid), str(device))
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        index = gen_relative_position_index(key[0], device=device)
        size = index.numel() * index.element_size()
        if size <= self.max_bytes:
            while self._entries and self.nbytes + size > self.max_bytes:
                self._entries.popitem(last=False)
            self._entries[key] = index
        return index


# per process: a few page-sized grids (one 1025 px page at patch 16 is about 134 MB)
_position_index = PositionIndexCache(max_bytes=512 * 2**20)


class RelativePositionBias(nn.Module):
    """A learned table for `grid` (h, w) giving, for any patch grid, the attention bias
    (1, heads, 1 + h'w', 1 + h'w') of a class token followed by the patches in row-major order."""

    def __init__(self, grid, num_heads):
        super().__init__()
        self.grid = tuple(grid)
        self.table = nn.Parameter(torch.zeros(num_relative_positions(self.grid), num_heads))

    def forward(self, grid):
        grid = tuple(grid)
        table = resize_rel_pos_table(self.table, self.grid, grid)
        tokens = grid[0] * grid[1] + 1
        index = _position_index(grid, self.table.device)
        return table[index.reshape(-1)].reshape(tokens, tokens, -1).permute(2, 0, 1).unsqueeze(0)
