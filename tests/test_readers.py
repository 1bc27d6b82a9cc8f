"""The table reader on larger files: labels cleaned by the cell rule, bad rows
named by their line, and no pandas for inline input."""

from __future__ import annotations

import numpy as np
from helpers import run, strict_json


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


def test_labels_are_cleaned_after_counting(tmp_path):
    p, q = make_files(tmp_path)
    data = run_json("compare", p, q, "--column", "city")
    labels = {c["label"] for c in data["categories"]}
    assert labels == {"Oslo", "Bergen", "Trondheim", "(missing)", "Tromsø", "Bodø, north"}
    assert any("missing cells" in w for w in data["warnings"])


def test_large_file_with_a_bad_row_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("c\n" + "a\n" * 3000 + "b,extra,fields\n" + "a\n" * 10)
    result = run("compare", str(path), "a=1,b=1")
    assert result.exit_code == 2
    assert "bad.csv" in result.stderr and result.stderr.count("\n") == 1
    assert "line 3002" in result.stderr  # the header, 3000 rows of 'a', then the bad row


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
