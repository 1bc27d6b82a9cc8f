"""The table reader's paths agree: a small file read whole from its head, a
large one read by pyarrow, and a large one read by pandas (no pyarrow)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import run, strict_json

import kl_cli.inputs.tables as sources


def make_files(tmp_path, rows: int = 3000):
    rng = np.random.default_rng(42)
    cities = np.array(["Oslo", " Bergen", "Trondheim ", "", "Tromsø", '"Bodø, north"'])
    lines_p = ["city,amount,label"] + [
        f"{cities[i]},{rng.integers(0, 50)},x{i % 7}"
        for i in rng.choice(len(cities), size=rows, p=[0.3, 0.2, 0.2, 0.1, 0.1, 0.1])
    ]
    lines_q = ["city,amount,label"] + [
        f"{cities[i]},{rng.integers(0, 50)},x{i % 5}"
        for i in rng.choice(len(cities), size=rows, p=[0.2, 0.2, 0.2, 0.2, 0.1, 0.1])
    ]
    p, q = tmp_path / "p.csv", tmp_path / "q.csv"
    p.write_text("\r\n".join(lines_p) + "\r\n", encoding="utf-8-sig")
    q.write_text("\n".join(lines_q) + "\n", encoding="utf-8")
    return str(p), str(q)


def run_json(*args: str) -> dict:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return strict_json(result.stdout)


@pytest.mark.parametrize("column", ["city", "label", "amount"])
def test_small_large_pyarrow_and_pandas_paths_agree(tmp_path, monkeypatch, column):
    p, q = make_files(tmp_path)
    args = ["compare", p, q, "--column", column] + (["--label-column", "label"] if column == "amount" else [])
    whole = run_json(*args)
    monkeypatch.setattr(sources, "PEEK_BYTES", 2048)  # both files are now "large"
    if column != "amount":
        pytest.importorskip("pyarrow")
        calls = []
        real = sources.TableSource._count_with_pyarrow

        def spy(self, name):
            counted = real(self, name)
            calls.append(counted is not None)
            return counted

        monkeypatch.setattr(sources.TableSource, "_count_with_pyarrow", spy)
    large = run_json(*args)
    if column != "amount":
        assert calls == [True, True]  # pyarrow did the counting
    monkeypatch.setattr(sources.TableSource, "_count_with_pyarrow", lambda self, name: None)
    pandas_only = run_json(*args)
    for got in (large, pandas_only):
        assert got["metrics"] == whole["metrics"]
        assert got["categories"] == whole["categories"]
        assert got["warnings"] == whole["warnings"]


def test_labels_are_cleaned_after_counting(tmp_path):
    p, q = make_files(tmp_path)
    data = run_json("compare", p, q, "--column", "city")
    labels = {c["label"] for c in data["categories"]}
    assert labels == {"Oslo", "Bergen", "Trondheim", "(missing)", "Tromsø", "Bodø, north"}
    assert any("empty cells" in w for w in data["warnings"])


def test_large_file_with_a_bad_row_is_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "bad.csv"
    path.write_text("c\n" + "a\n" * 3000 + "b,extra,fields\n" + "a\n" * 10)
    monkeypatch.setattr(sources, "PEEK_BYTES", 1024)
    result = run("compare", str(path), "a=1,b=1")
    assert result.exit_code == 2
    assert "bad.csv" in result.stderr and result.stderr.count("\n") == 1


def test_inline_input_does_not_import_pandas():
    import subprocess
    import sys

    code = (
        "import sys\nfrom kl_cli.cli import cli\n"
        "cli.main(['compare', 'rain=0.5,sun=0.5', 'rain=0.3,sun=0.7', '--format', 'value'], standalone_mode=False)\n"
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False"
