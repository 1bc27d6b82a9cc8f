"""`--format html` of drift and compare: one self-contained page, a chart per
compared column, every label escaped, nothing loaded from anywhere.

The pages are parsed with the standard library's ``html.parser`` into a small
tree; bar heights are checked against the shares of the JSON report of the
same run and against counts taken from the data with the ``csv`` module.
Where Chromium is installed, a page is rendered and its screenshot checked.
"""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections import Counter
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import METRIC_IDS, SAMPLE_DATA, assert_one_line_error, describe, raw_controls, run, strict_json
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kl_cli.text import visible

REFERENCE = str(SAMPLE_DATA / "reference.csv")
CURRENT = str(SAMPLE_DATA / "current.csv")
VOID = {"meta", "link", "br", "img", "input", "hr", "area", "base", "col", "embed", "source", "track", "wbr"}
NASTY = ["<script>alert(1)</script>", "\"&'", "line\nbreak", "rtl\u202eevil", "<img src=x onerror=alert(2)>"]


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node] = []
        self.text: list[str] = []

    def iter(self, tag: str | None = None):
        for child in self.children:
            if tag is None or child.tag == tag:
                yield child
            yield from child.iter(tag)

    def all_text(self) -> str:
        return "".join(self.text) + "".join(c.all_text() for c in self.children)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class Tree(HTMLParser):
    """Elements as nested nodes; a close tag that does not match is a test failure."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.at = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.at)
        self.at.children.append(node)
        if tag not in VOID:
            self.at = node

    def handle_startendtag(self, tag, attrs):
        self.at.children.append(Node(tag, dict(attrs), self.at))

    def handle_endtag(self, tag):
        assert self.at.tag == tag, f"</{tag}> closes <{self.at.tag}>"
        self.at = self.at.parent

    def handle_data(self, data):
        self.at.text.append(data)


def parse(text: str) -> Node:
    assert text.startswith("<!DOCTYPE html>\n"), text[:40]
    tree = Tree()
    tree.feed(text)
    tree.close()
    assert tree.at is tree.root, f"<{tree.at.tag}> is never closed"
    return tree.root


def html_of(*args: str, code: int = 0) -> tuple[str, Node]:
    result = run(*args, "--format", "html")
    assert result.exit_code == code, describe(result)
    return result.stdout, parse(result.stdout)


def json_of(*args: str) -> dict:
    result = run(*args, "--format", "json")
    assert result.exit_code in (0, 1), describe(result)
    return strict_json(result.stdout)


def bars(svg: Node, side: str) -> list[Node]:
    return [r for r in svg.iter("rect") if {"bar", side} <= r.classes()]


def assert_self_contained(text: str, root: Node) -> None:
    """No script, no external reference of any kind, a CSP that forbids loading."""
    for pattern in (r"https?:", r"//", r"url\(", r"@import", r"<script", r"<link", r"javascript:"):
        assert not re.search(pattern, text, re.IGNORECASE), pattern
    tags = {n.tag for n in root.iter()}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignobject"}, tags
    for node in root.iter():
        assert not any(name.startswith("on") or name in ("src", "srcset", "xlink:href") for name in node.attrs)
        href = node.attrs.get("href")
        assert href is None or href.startswith("#"), href
    csp = [m for m in root.iter("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert len(csp) == 1 and "default-src 'none'" in csp[0].attrs["content"]
    assert text.isascii()
    assert raw_controls(text) == []


def check_heights(svg: Node) -> dict[str, tuple[float, float]]:
    """Each bar's height is its share times one scale per chart (to the 0.01 px the page rounds to);
    returns label: (first, second) share."""
    drawn: list[tuple[float, float, dict]] = []
    shares: dict[str, list[float]] = {}
    for side in ("ref", "cur"):
        for rect in bars(svg, side):
            share, height = float(rect.attrs["data-share"]), float(rect.attrs["height"])
            assert math.isfinite(height) and height >= 0
            shares.setdefault(rect.attrs["data-label"], []).append(share)
            drawn.append((share, height, rect.attrs))
    biggest = max(drawn, key=lambda d: d[0])
    assert biggest[0] > 0
    scale = biggest[1] / biggest[0]  # from the tallest bar: the least rounding error
    for share, height, attrs in drawn:
        assert height == pytest.approx(share * scale, abs=0.0101), (attrs, scale)
    assert all(len(v) == 2 for v in shares.values()), shares
    return {k: (v[0], v[1]) for k, v in shares.items()}


def csv_shares(path: Path | str, column: str) -> dict[str, Fraction]:
    with open(path, newline="", encoding="utf-8") as f:
        cells = [row[column] for row in csv.DictReader(f)]
    counts = Counter(cells)
    return {k: Fraction(v, len(cells)) for k, v in counts.items()}


# ---------------------------------------------------------------------------
# drift


def test_drift_page_has_the_summary_and_one_chart_per_compared_column():
    text, root = html_of("drift", REFERENCE, CURRENT, code=1)
    assert_self_contained(text, root)
    report = json_of("drift", REFERENCE, CURRENT)
    assert report["verdict"] in root.all_text()
    summary = next(t for t in root.iter("table") if "summary" in t.classes())
    rows = list(summary.iter("tr"))[1:]
    assert [r.children[0].all_text() for r in rows] == [c["column"] for c in report["columns"]]
    sections = [s for s in root.iter("section") if "column" in s.classes()]
    compared = [c for c in report["columns"] if c["skipped"] is None]
    assert [next(s.iter("h2")).all_text().split(" ")[0] for s in sections] == [c["column"] for c in compared]
    for section, column in zip(sections, compared):
        svgs = list(section.iter("svg"))
        assert len(svgs) == 1, column["column"]
        shares = check_heights(svgs[0])
        assert len(bars(svgs[0], "ref")) == len(bars(svgs[0], "cur")) == len(shares)
        # The JSON's largest contributors are the chart's marked ranks, with the same shares.
        marked = {
            r.attrs["data-label"]: int(r.attrs["data-rank"]) for r in bars(svgs[0], "ref") if "data-rank" in r.attrs
        }
        for n, top in enumerate(column["top"][:3]):
            assert marked[top["label"]] == n + 1
            assert shares[top["label"]] == (top["reference"], top["current"])
    skipped = [c for c in report["columns"] if c["skipped"] is not None]
    assert skipped and all(f"{c['column']}: {c['skipped']}" in root.all_text() for c in skipped)


@pytest.mark.parametrize("column", ["region", "plan", "channel"])
def test_drift_category_shares_are_the_data_s_own_and_ordered_by_reference_share(column):
    _, root = html_of("drift", REFERENCE, CURRENT, code=1)
    section = next(s for s in root.iter("section") if next(s.iter("h2")).all_text().startswith(column + " "))
    svg = next(section.iter("svg"))
    shares = check_heights(svg)
    ref, cur = csv_shares(REFERENCE, column), csv_shares(CURRENT, column)
    missing = "(missing)"
    for value in set(ref) | set(cur):
        label = missing if value == "" else value
        assert shares[label] == pytest.approx((float(ref.get(value, 0)), float(cur.get(value, 0))), abs=1e-15)
    # Only the missing category may be a bar the data has no cell of (with 0 on both sides).
    extra = set(shares) - {missing if v == "" else v for v in set(ref) | set(cur)}
    assert all(shares[x] == (0.0, 0.0) for x in extra) and extra <= {missing}
    order = [float(r.attrs["data-share"]) for r in bars(svg, "ref")]
    assert order == sorted(order, reverse=True)


def test_drift_numeric_bins_are_drawn_in_bin_order():
    _, root = html_of("drift", REFERENCE, CURRENT, code=1)
    for column in ("age", "basket_value"):
        section = next(s for s in root.iter("section") if next(s.iter("h2")).all_text().startswith(column + " "))
        labels = [r.attrs["data-label"] for r in bars(next(section.iter("svg")), "ref")]
        bins = [x for x in labels if x.startswith("(") and "," in x]
        lows = [float(x[1:].split(",")[0]) for x in bins]
        assert len(lows) >= 5 and lows == sorted(lows) and lows[0] == -math.inf, labels
        shares = check_heights(next(section.iter("svg")))
        assert math.fsum(p for p, _ in shares.values()) == pytest.approx(1.0)
        assert math.fsum(q for _, q in shares.values()) == pytest.approx(1.0)


def _many_categories(tmp_path: Path, n: int = 100) -> tuple[str, str]:
    rows_ref = [[f"k{i:03d}"] for i in range(n) for _ in range(i % 7 + 1)]
    rows_cur = [[f"k{i:03d}"] for i in range(n) for _ in range((i * 3) % 5 + 1)] + [["new"]] * 9
    paths = []
    for name, rows in (("ref.csv", rows_ref), ("cur.csv", rows_cur)):
        path = tmp_path / name
        with open(path, "w", newline="") as f:
            csv.writer(f).writerows([["many"], *rows])
        paths.append(str(path))
    return paths[0], paths[1]


def test_many_categories_are_capped_and_the_rest_folded_into_other_with_their_count(tmp_path):
    ref, cur = _many_categories(tmp_path)
    _, root = html_of("drift", ref, cur, "--categorical", "many", code=1)
    svg = next(root.iter("svg"))
    groups = bars(svg, "ref")
    assert len(groups) == 30
    other = groups[-1]
    assert other.attrs["data-label"] == "other (73 categories)" and other.attrs["data-folded"] == "73"
    # 100 categories, "new" and the missing category (empty on both sides)
    assert "29 of 102 categories drawn" in root.all_text()
    shares = check_heights(svg)
    # Nothing is dropped: the drawn shares and the folded ones add up to the whole on each side.
    assert math.fsum(p for p, _ in shares.values()) == pytest.approx(1.0, abs=1e-12)
    assert math.fsum(q for _, q in shares.values()) == pytest.approx(1.0, abs=1e-12)
    # The largest contributors are drawn even when their shares are small: 'new' is only in current.
    top = json_of("drift", ref, cur, "--categorical", "many")["columns"][0]["top"]
    assert {t["label"] for t in top} <= set(shares)
    assert "new" in shares


def test_nasty_labels_are_escaped_and_never_become_markup(tmp_path):
    name = "<script>alert(1)</script>\u202e"
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    for path, weights in ((ref, (5, 3, 2, 4, 1)), (cur, (1, 3, 5, 2, 4))):
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow([name])
            for label, k in zip(NASTY, weights):
                w.writerows([[label]] * k * 10)
    text, root = html_of("drift", str(ref), str(cur), "--categorical", name, code=1)
    assert_self_contained(text, root)
    assert "\u202e" not in text and "<script" not in text and "<img" not in text
    labels = {r.attrs["data-label"] for r in root.iter("rect") if "bar" in r.classes()}
    # The labels come back as text: control characters spelled out, the rest exact.
    assert labels == {
        "<script>alert(1)</script>",
        "\"&'",
        "line\\nbreak",
        "rtl\\u202eevil",
        "<img src=x onerror=alert(2)>",
    } | {"(missing)"}
    heading = next(s for s in root.iter("section")).children[0].all_text()
    assert heading.startswith("<script>alert(1)</script>\\u202e")
    # compare too: a table's column and an inline list of labels.
    text, root = html_of("compare", str(ref), str(cur), "--column", name)
    assert_self_contained(text, root)
    assert {r.attrs["data-label"] for r in root.iter("rect") if "bar" in r.classes()} >= labels - {"(missing)"}
    text, root = html_of("compare", '<u>x</u>=1,"q"=2', '<u>x</u>=2,"q"=1')
    assert_self_contained(text, root)
    assert not list(root.iter("u")) and "<u>x</u>" in root.all_text()


def test_detail_adds_the_column_s_full_category_table():
    _, root = html_of("drift", REFERENCE, CURRENT, "--detail", "plan", code=1)
    tables = [t for t in root.iter("table") if "categories" in t.classes()]
    assert len(tables) == 1
    labels = [r.children[0].all_text() for r in list(tables[0].iter("tr"))[1:]]
    # Every category, ranked by contribution: the one new in current (infinite KL term) first.
    assert labels[0] == "enterprise" and sorted(labels) == sorted(["free", "basic", "pro", "enterprise", "(missing)"])


def test_drift_html_with_permutations_names_the_correction_and_p_values():
    _, root = html_of("drift", REFERENCE, CURRENT, "--permutations", "200", "--seed", "3", "--bootstrap", "20", code=1)
    words = root.all_text()
    assert "Holm's step-down method" in words and "p adj." in words and "95% interval" in words
    assert len(list(root.iter("svg"))) == 6


# ---------------------------------------------------------------------------
# compare


def test_compare_chart_heights_are_the_json_shares_and_the_metrics_table_is_whole():
    args = ("compare", str(SAMPLE_DATA / "forecast.csv"), str(SAMPLE_DATA / "observed.csv"))
    text, root = html_of(*args)
    assert_self_contained(text, root)
    report = json_of(*args)
    svgs = list(root.iter("svg"))
    assert len(svgs) == 1
    shares = check_heights(svgs[0])
    assert shares == {c["label"]: (c["p"], c["q"]) for c in report["categories"]}
    marked = {r.attrs["data-label"]: int(r.attrs["data-rank"]) for r in bars(svgs[0], "ref") if "data-rank" in r.attrs}
    assert marked == {c["label"]: n + 1 for n, c in enumerate(report["categories"][:3])}
    metrics = next(root.iter("table"))
    ids = [r.children[1].all_text() for r in list(metrics.iter("tr"))[1:]]
    assert ids == list(report["metrics"])
    for line in report["explanation"] + report["notes"]:
        assert line in root.all_text()


@pytest.mark.parametrize(
    "args, chart",
    [
        (["0.7,0.3", "0.4,0.6"], "categories"),
        (["a=2,b=3,c=1", "a=20,b=31,c=9", "--permutations", "100", "--bootstrap", "50", "--seed", "1"], "categories"),
        (["1,2,3,4,5,6,7,8,9,10", "2,2,3,3,4,4,5,5,6,6", "--samples", "--bins", "4"], "categories"),
        (["normal(0,1)", "0.1,0.5,-0.3,1.2,0.7,-1.1,0.2,0.3,-0.5,0.9", "--samples", "--bins", "3"], "categories"),
        (["1,2,3,4,5,6,7,8,9,10", "2,2,3,3,4,4,5,5,6,6", "--samples", "--estimator", "knn"], None),
        (["normal(0,1)", "0.1,0.5,-0.3,1.2,0.7,-1.1,0.2,0.3,-0.5,0.9", "--samples", "--estimator", "knn"], None),
        (["normal(0,1)", "normal(1,2)"], "densities"),
        (["poisson(3)", "poisson(4)"], "masses"),
        (["sun=1,rain=0", "sun=0,rain=1"], "categories"),
    ],
)
def test_every_kind_of_comparison_gives_a_valid_page(args, chart):
    text, root = html_of("compare", *args)
    assert_self_contained(text, root)
    report = json_of("compare", *args)
    svgs = list(root.iter("svg"))
    if chart is None:
        assert svgs == [] and "No chart:" in root.all_text()
    else:
        assert len(svgs) == 1
    if chart == "categories":
        shares = check_heights(svgs[0])
        assert shares == {c["label"]: (c["p"], c["q"]) for c in report["categories"]}
    elif chart == "masses":  # each value's probability, against scipy's
        from scipy import stats

        shares = check_heights(svgs[0])
        assert len(shares) >= 10
        for label, (p, q) in shares.items():
            assert p == pytest.approx(stats.poisson.pmf(int(label), 3), rel=1e-9)
            assert q == pytest.approx(stats.poisson.pmf(int(label), 4), rel=1e-9)
    elif chart == "densities":
        lines = list(svgs[0].iter("polyline"))
        assert [set(line.classes()) for line in lines] == [{"line", "ref"}, {"line", "cur"}]
        for line in lines:
            points = [tuple(map(float, xy.split(","))) for xy in line.attrs["points"].split()]
            assert len(points) > 100 and all(math.isfinite(a) and math.isfinite(b) for a, b in points)
            assert [a for a, _ in points] == sorted(a for a, _ in points)
        # P, the narrower, peaks higher (a smaller y) than Q: 0.399 against 0.199.
        peaks = [min(float(xy.split(",")[1]) for xy in line.attrs["points"].split()) for line in lines]
        assert peaks[0] < peaks[1]
    metrics = next(root.iter("table"))
    ids = [r.children[1].all_text() for r in list(metrics.iter("tr"))[1:]]
    assert ids == (list(report["metrics"]) if chart == "categories" else list(METRIC_IDS))
    for key, value in report["metrics"].items():  # the same figures as the JSON report, as text shows them
        row = next(r for r in list(metrics.iter("tr"))[1:] if r.children[1].all_text() == key)
        shown = f"{value:.6g}" if value is not None else "inf" if key in report["infinite"] else "-"
        assert row.children[2].all_text() == shown, key
    for line in report["explanation"]:
        assert line in root.all_text()


def test_a_wide_discrete_pair_is_drawn_as_lines_and_says_what_range():
    text, root = html_of("compare", "poisson(3)", "poisson(40)")
    assert_self_contained(text, root)
    svg = next(root.iter("svg"))
    assert not bars(svg, "ref") and len(list(svg.iter("polyline"))) == 2
    assert re.search(r"x from 0 to \d+: the bulk of both", root.all_text())


def test_compare_with_many_categories_folds_the_rest_and_keeps_the_largest_contributors(tmp_path):
    path = tmp_path / "pair.json"
    p = {f"w{i:03d}": 1000 - 7 * i for i in range(120)}
    q = {f"w{i:03d}": 1000 - 7 * i + (500 if i in (90, 110) else 0) for i in range(120)}
    path.write_text(json.dumps({"p": p, "q": q}))
    _, root = html_of("compare", str(path))
    shares = check_heights(next(root.iter("svg")))
    assert len(shares) == 30 and "other (91 categories)" in shares
    assert {"w090", "w110"} <= set(shares)  # small shares, the largest contributions
    assert math.fsum(a for a, _ in shares.values()) == pytest.approx(1.0, abs=1e-12)
    assert math.fsum(b for _, b in shares.values()) == pytest.approx(1.0, abs=1e-12)


labels = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=10)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    pairs=st.dictionaries(labels, st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=40),
)
def test_any_labels_give_a_valid_page_with_each_label_exact(pairs):
    if not any(p for p, _ in pairs.values()) or not any(q for _, q in pairs.values()):
        return  # a side with nothing: an error, tested elsewhere
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pair.json"
        path.write_text(
            json.dumps({"p": {k: p for k, (p, _) in pairs.items()}, "q": {k: q for k, (_, q) in pairs.items()}})
        )
        result = run("compare", str(path), "--format", "html")
    assert result.exit_code in (0, 2), describe(result)
    if result.exit_code == 2:
        assert_one_line_error(result)
        return
    root = parse(result.stdout)
    assert_self_contained(result.stdout, root)
    shown = {r.attrs["data-label"] for r in root.iter("rect") if "bar" in r.classes()}
    if len(pairs) <= 30:  # every label, as visible() spells it
        assert shown == {visible(k) for k in pairs}
    check_heights(next(root.iter("svg")))


def test_matrix_has_no_html_format():
    result = run("matrix", "0.5,0.5", "0.4,0.6", "--format", "html")
    assert_one_line_error(result, ["html"])


# ---------------------------------------------------------------------------
# a real browser


def _chromium() -> str | None:
    for candidate in ("chromium", "chromium-browser", "/usr/bin/chromium"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows of an 8-bit RGB or RGBA PNG (stdlib zlib and struct; numpy for speed)."""
    import numpy as np

    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    assert len(raw) == height * (stride + 1)
    rows, prev = [], np.zeros(stride, dtype=np.int64)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int64)
        if kind == 1:  # sub: a running sum along the row, per channel
            line = line.reshape(width, bpp).cumsum(axis=0).reshape(-1) % 256
        elif kind == 2:  # up
            line = (line + prev) % 256
        elif kind in (3, 4):  # average, Paeth: byte by byte
            out, up = line.tolist(), prev.tolist()
            for i in range(stride):
                a = out[i - bpp] if i >= bpp else 0
                b, c = up[i], up[i - bpp] if i >= bpp else 0
                if kind == 3:
                    out[i] = (out[i] + (a + b) // 2) & 255
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    out[i] = (out[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            line = np.array(out, dtype=np.int64)
        else:
            assert kind == 0, kind
        rows.append(line.astype(np.uint8).tobytes())
        prev = line
    return width, height, rows


@pytest.mark.skipif(_chromium() is None, reason="no Chromium on this machine (install the chromium package to run it)")
def test_the_drift_page_renders_in_headless_chromium(tmp_path):
    text, _ = html_of("drift", REFERENCE, CURRENT, code=1)
    page = tmp_path / "drift.html"
    page.write_text(text, encoding="ascii")
    shot = tmp_path / "drift.png"
    subprocess.run(
        [
            _chromium(),
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,2000",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert shot.exists(), "Chromium wrote no screenshot"
    width, height, rows = _png_pixels(shot.read_bytes())
    assert (width, height) == (1200, 2000)
    bpp = len(rows[0]) // width
    colours = Counter(row[i : i + 3] for row in rows[::4] for i in range(0, len(row), bpp * 4))
    assert len(colours) > 20, "the screenshot is blank"
    white = colours[b"\xff\xff\xff"] / sum(colours.values())
    assert white < 0.97, "the screenshot is nearly all white"
    # Both sides' bar colours are on screen: the charts were drawn.
    near = lambda rgb, target: all(abs(x - y) <= 12 for x, y in zip(rgb, target))  # noqa: E731
    for target in ((0x3B, 0x6F, 0xB6), (0xD9, 0x73, 0x0D)):
        assert sum(n for rgb, n in colours.items() if near(rgb, target)) > 200, target


def test_a_column_s_own_threshold_is_shown_when_the_report_holds_one():
    """Per-column rules (another part of issue 14) give a column a threshold of
    its own: the page reads it through one accessor, else the run's."""
    import io

    from kl_cli.api import drift
    from kl_cli.render.html_report import drift_html

    report = drift(REFERENCE, CURRENT)
    plan = next(c for c in report.columns if c.column == "plan")
    plan.threshold = 0.5  # as a per-column rule would set it
    out = io.StringIO()
    drift_html(report, out)
    summary = next(t for t in parse(out.getvalue()).iter("table") if "summary" in t.classes())
    cells = {r.children[0].all_text(): r.children[4].all_text() for r in list(summary.iter("tr"))[1:]}
    assert cells["plan"] == "0.5" and cells["region"] == "0.1"
