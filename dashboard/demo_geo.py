"""A fictional city's geography for the demo: counties, townships, villages and their boundaries.

Townships are the cells of a jittered grid (so neighbours share edges exactly), counties are
rectangular blocks of cells, and every village is placed strictly inside its township's cell.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

FIRST = "清青龙凤石金银云白黄红平安永长新和福兴泰宁康德仁义明光华东西南北中上下大小双三五六七八高"
SECOND = "溪山河江湖岭坪塘湾岗桥坝田林源泉水沟洲峰岩口门寨屯冲坡村场湖亭头尾塘坑垌"
VILLAGE_SECOND = "溪山河江岭坪塘湾岗桥坝田林源泉洲峰岩寨屯冲坡亭垌"


@dataclass
class Area:
    """A county, township or village with its 12-digit code and WGS-84 geometry."""

    code: str
    name: str
    level: str
    parent: str | None
    county: str | None
    lon: float
    lat: float
    ring: list[tuple[float, float]] | None = None
    children: list["Area"] = field(default_factory=list)

    def geojson(self) -> str | None:
        if self.ring is None:
            return None
        ring = [[round(x, 5), round(y, 5)] for x, y in self.ring]
        return json.dumps({"type": "Polygon", "coordinates": [ring + [ring[0]]]})


@dataclass(frozen=True)
class Scale:
    name: str
    city_name: str
    cols: int
    rows: int
    col_strips: tuple[int, ...]  # widths of the column strips
    blocks_per_strip: tuple[int, ...]  # how many counties each strip is cut into
    villages: tuple[int, int]  # villages per township, inclusive range


SCALES = {
    "city": Scale("city", "清源市", 10, 10, (3, 3, 4), (3, 2, 2), (9, 17)),
    "province": Scale("province", "清源省(基准测试)", 36, 35, (3,) * 12, (9,) * 12, (8, 16)),
}
ORIGIN = (107.2, 23.1)  # south-west corner, a plausible hilly region of southern China
CELL = 0.11  # degrees per township cell


def _names(rng: random.Random, count: int, suffixes: list[str], second: str = SECOND) -> list[str]:
    """``count`` distinct two-character names, each with a suffix drawn from ``suffixes``."""
    seen: set[str] = set()
    out = []
    while len(out) < count:
        stem = rng.choice(FIRST) + rng.choice(second)
        if stem in seen:
            continue
        seen.add(stem)
        out.append(stem + rng.choice(suffixes))
    return out


def _grid(rng: random.Random, cols: int, rows: int) -> list[list[tuple[float, float]]]:
    """Jittered vertices ``v[i][j]``; the outer border stays straight to keep the city tidy."""
    x0, y0 = ORIGIN
    jitter = CELL * 0.18
    grid = []
    for i in range(cols + 1):
        column = []
        for j in range(rows + 1):
            dx = 0.0 if i in (0, cols) else rng.uniform(-jitter, jitter)
            dy = 0.0 if j in (0, rows) else rng.uniform(-jitter, jitter)
            column.append((x0 + i * CELL + dx, y0 + j * CELL + dy))
        grid.append(column)
    return grid


def _block_ring(v, c0: int, c1: int, r0: int, r1: int) -> list[tuple[float, float]]:
    """Counter-clockwise outline of the cell block [c0, c1) x [r0, r1) along grid vertices."""
    ring = [v[i][r0] for i in range(c0, c1)]
    ring += [v[c1][j] for j in range(r0, r1)]
    ring += [v[i][r1] for i in range(c1, c0, -1)]
    ring += [v[c0][j] for j in range(r1, r0, -1)]
    return ring


def _cut(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    edges = [0]
    for k in range(parts):
        edges.append(edges[-1] + base + (1 if k < extra else 0))
    return edges


def _bilinear(quad, u: float, w: float) -> tuple[float, float]:
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = quad  # SW, SE, NE, NW
    x = (1 - u) * (1 - w) * ax + u * (1 - w) * bx + u * w * cx + (1 - u) * w * dx
    y = (1 - u) * (1 - w) * ay + u * (1 - w) * by + u * w * cy + (1 - u) * w * dy
    return x, y


def build_city(scale: str = "city", seed: int = 42) -> Area:
    """The whole fictional region tree for ``scale`` ("city" or "province"), deterministic in ``seed``."""
    spec = SCALES[scale]
    rng = random.Random(seed)
    v = _grid(rng, spec.cols, spec.rows)
    city = Area("451300000000", spec.city_name, "city", None, None, 0.0, 0.0)
    blocks = []
    col_edges = [0]
    for width in spec.col_strips:
        col_edges.append(col_edges[-1] + width)
    for s, cuts in enumerate(spec.blocks_per_strip):
        row_edges = _cut(spec.rows, cuts)
        for b in range(cuts):
            blocks.append((col_edges[s], col_edges[s + 1], row_edges[b], row_edges[b + 1]))
    county_names = _names(rng, len(blocks), ["县", "县", "县", "区", "市"])
    for k, (c0, c1, r0, r1) in enumerate(blocks):
        ccode = f"4513{k + 1:02d}000000" if len(blocks) < 100 else f"45{k + 1:04d}000000"
        ring = _block_ring(v, c0, c1, r0, r1)
        county = Area(ccode, county_names[k], "county", city.code, ccode, *_centroid(ring), ring=ring)
        city.children.append(county)
        cells = [(i, j) for j in range(r0, r1) for i in range(c0, c1)]
        tnames = _names(rng, len(cells), ["镇", "镇", "镇", "乡", "街道"])
        for t, (i, j) in enumerate(cells):
            county.children.append(_township(rng, spec, v, county, t, i, j, tnames[t]))
    city.lon, city.lat = _centroid(_block_ring(v, 0, spec.cols, 0, spec.rows))
    return city


def _township(rng, spec: Scale, v, county: Area, t: int, i: int, j: int, name: str) -> Area:
    quad = [v[i][j], v[i + 1][j], v[i + 1][j + 1], v[i][j + 1]]
    tcode = county.code[:6] + f"{t + 1:03d}" + "000"
    township = Area(tcode, name, "township", county.code, county.code, *_centroid(quad), ring=quad)
    count = rng.randint(*spec.villages)
    suffixes = ["社区"] if name.endswith("街道") else ["村"]
    for n, vname in enumerate(_names(rng, count, suffixes, VILLAGE_SECOND)):
        lon, lat = _bilinear(quad, rng.uniform(0.08, 0.92), rng.uniform(0.08, 0.92))
        township.children.append(
            Area(tcode[:9] + f"{n + 1:03d}", vname, "village", tcode, county.code, lon, lat)
        )
    return township


def _centroid(ring) -> tuple[float, float]:
    xs, ys = zip(*ring)
    return sum(xs) / len(xs), sum(ys) / len(ys)


def walk(area: Area):
    """Yield ``area`` and all its descendants, parents first."""
    yield area
    for child in area.children:
        yield from walk(child)


def point_in_ring(lon: float, lat: float, ring) -> bool:
    """Ray-casting point-in-polygon test (used by tests and the roster importer's warnings)."""
    inside = False
    n = len(ring)
    for k in range(n):
        (x1, y1), (x2, y2) = ring[k], ring[(k + 1) % n]
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside
