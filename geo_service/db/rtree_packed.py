"""SQLite's R*Tree built packed.

SQLite's R*Tree (what SpatiaLite's spatial index is) has no bulk load: every INSERT walks
the tree and splits nodes (~2-3 us per row). An empty one can instead be written as a
packed tree straight into its three shadow tables, in the documented node format of
ext/rtree/rtree.c: a node is a blob of the tree's node size (the length of the root
node's blob), a 2-byte big-endian depth (root only; 0 elsewhere), a 2-byte cell count,
then cells of an 8-byte big-endian rowid (leaves) or child node number and the box as
big-endian float32 (xmin, xmax, ymin, ymax); ``<t>_rowid`` maps each rowid to its leaf,
``<t>_parent`` each node but the root (number 1) to its parent. The boxes are rounded
outwards to float32 (minimum down, maximum up), so each holds its point exactly as the
R*Tree's own rounding does. ``rtreecheck()`` and SpatiaLite's ``CheckSpatialIndex()``
accept the result (tests), and later inserts and deletes maintain it as any R*Tree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_RTREE_CELL = np.dtype([("id", ">i8"), ("box", ">f4", 4)])
_RTREE_COLUMNS = ["pkid", "xmin", "xmax", "ymin", "ymax"]
_RTREE_BATCH = 50_000  # rowid -> leaf pairs bound per executemany


def rtree_is_empty(cur: Any, rtree: str) -> bool:
    """True for a 2-dimensional R*Tree (SpatiaLite's shape) without any entry."""
    cols = [r[1] for r in cur.execute(f'PRAGMA table_info("{rtree}")').fetchall()]
    if cols != _RTREE_COLUMNS:
        return False
    return cur.execute(f'SELECT NOT EXISTS (SELECT 1 FROM "{rtree}_rowid")').fetchone()[0] == 1


def _down32(v: np.ndarray) -> np.ndarray:
    """The largest float32 not above each value."""
    f = v.astype(np.float32)
    over = f.astype(np.float64) > v
    f[over] = np.nextafter(f[over], np.float32(-np.inf))
    return f


def _up32(v: np.ndarray) -> np.ndarray:
    """The smallest float32 not below each value."""
    f = v.astype(np.float32)
    under = f.astype(np.float64) < v
    f[under] = np.nextafter(f[under], np.float32(np.inf))
    return f


def _str_groups(boxes: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Sort-Tile-Recursive packing: an order of the boxes and the start of each group of
    at most ``cap`` (vertical slices by centre x, then by centre y within a slice; groups
    of a slice equally full, so every node holds at least about half of ``cap``)."""
    n = len(boxes)
    cx = boxes[:, 0].astype(np.float64) + boxes[:, 1]
    cy = boxes[:, 2].astype(np.float64) + boxes[:, 3]
    groups = -(-n // cap)
    slices = int(np.ceil(np.sqrt(groups)))
    by_x = np.argsort(cx, kind="stable")
    order = np.empty(n, dtype=np.int64)
    starts: list[np.ndarray] = []
    pos = 0
    for part in np.array_split(by_x, slices):
        if not len(part):
            continue
        part = part[np.argsort(cy[part], kind="stable")]
        order[pos : pos + len(part)] = part
        k = -(-len(part) // cap)
        sizes = np.full(k, len(part) // k, dtype=np.int64)
        sizes[: len(part) % k] += 1
        starts.append(pos + np.concatenate([[0], np.cumsum(sizes)[:-1]]))
        pos += len(part)
    return order, np.concatenate(starts)


def fill_rtree_packed(
    cur: Any,
    rtree: str,
    ids: np.ndarray,
    xmin: np.ndarray,
    xmax: np.ndarray,
    ymin: np.ndarray,
    ymax: np.ndarray,
) -> bool:
    """Write the entries (rowid, box) into the EMPTY 2-dimensional R*Tree ``rtree`` as a
    packed tree (see above); True when done."""
    size = cur.execute(f'SELECT length(data) FROM "{rtree}_node" WHERE nodeno = 1').fetchone()
    if size is None or not ids.size:
        return size is not None  # no entry: the empty tree is already right
    node_size = int(size[0])
    cap = (node_size - 4) // _RTREE_CELL.itemsize
    if cap < 4:
        return False
    node = np.dtype(
        [
            ("depth", ">u2"),
            ("n", ">u2"),
            ("cells", _RTREE_CELL, cap),
            ("pad", "u1", node_size - 4 - cap * _RTREE_CELL.itemsize),
        ]
    )
    boxes = np.column_stack([_down32(xmin), _up32(xmax), _down32(ymin), _up32(ymax)])
    children = np.asarray(ids, dtype=np.int64)
    levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # children, boxes, starts
    while len(children) > cap:
        order, starts = _str_groups(boxes, cap)
        children, boxes = children[order], boxes[order]
        levels.append((children, boxes, starts))
        children = np.arange(len(starts), dtype=np.int64)  # the groups, numbered below
        boxes = np.column_stack(
            [
                np.minimum.reduceat(boxes[:, 0], starts),
                np.maximum.reduceat(boxes[:, 1], starts),
                np.minimum.reduceat(boxes[:, 2], starts),
                np.maximum.reduceat(boxes[:, 3], starts),
            ]
        )
    levels.append((children, boxes, np.zeros(1, dtype=np.int64)))  # the root
    depth = len(levels) - 1
    numbers, first = [], 2
    for level, (_, _, starts) in enumerate(levels):
        if level == depth:
            numbers.append(np.ones(1, dtype=np.int64))
        else:
            numbers.append(np.arange(first, first + len(starts), dtype=np.int64))
            first += len(starts)
    cur.execute(f'DELETE FROM "{rtree}_node"')
    cur.execute(f'DELETE FROM "{rtree}_parent"')  # nothing left of an emptied tree
    for level, (kids, level_boxes, starts) in enumerate(levels):
        counts = np.diff(np.append(starts, len(kids)))
        owner = np.repeat(np.arange(len(starts)), counts)
        nodes = np.zeros(len(starts), dtype=node)
        nodes["n"] = counts
        if level == depth:
            nodes["depth"] = depth
        cells = nodes["cells"]
        slot = np.arange(len(kids)) - starts[owner]
        cells["id"][owner, slot] = kids if level == 0 else numbers[level - 1][kids]
        cells["box"][owner, slot] = level_boxes
        raw = nodes.view(np.uint8).reshape(len(starts), node_size)
        cur.executemany(
            f'INSERT INTO "{rtree}_node" (nodeno, data) VALUES (?, ?)',
            zip(numbers[level].tolist(), map(bytearray, raw), strict=True),
        )
        if level == 0:
            by_id = np.argsort(kids, kind="stable")  # append in rowid order
            rowids, leaves = kids[by_id], numbers[0][owner][by_id]
            for at in range(0, len(rowids), _RTREE_BATCH):  # Python ints of one batch
                cur.executemany(
                    f'INSERT INTO "{rtree}_rowid" (rowid, nodeno) VALUES (?, ?)',
                    zip(
                        rowids[at : at + _RTREE_BATCH].tolist(),
                        leaves[at : at + _RTREE_BATCH].tolist(),
                        strict=True,
                    ),
                )
        else:
            cur.executemany(
                f'INSERT INTO "{rtree}_parent" (nodeno, parentnode) VALUES (?, ?)',
                zip(numbers[level - 1][kids].tolist(), numbers[level][owner].tolist(), strict=True),
            )
    return True
