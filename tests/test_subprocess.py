"""A few real runs of ``python -m kl_cli``: the entry point, exit statuses
and a real pipe into standard input."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import KL_PQ, strict_json


def kl_cli(*args: str, input: bytes | None = None, cwd=None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kl_cli", *args],
        input=input,
        capture_output=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_inline_value(tmp_path):
    proc = kl_cli("compare", "0.7,0.3", "0.4,0.6", "--format", "value", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    assert float(proc.stdout) == pytest.approx(KL_PQ, rel=1e-12)


def test_pipe_into_stdin_and_json_out(tmp_path):
    forecast = tmp_path / "forecast.csv"
    forecast.write_text("weather,probability\nsun,0.4\nrain,0.6\n", encoding="utf-8")
    # A real pipeline: one process writes CSV, kl-cli reads it from '-'.
    producer = subprocess.Popen(
        [sys.executable, "-c", "print('sky'); print('\\n'.join(['sun'] * 7 + ['rain'] * 3))"],
        stdout=subprocess.PIPE,
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "kl_cli", "compare", "-", str(forecast), "--format", "json"],
            stdin=producer.stdout,
            capture_output=True,
            timeout=60,
            check=False,
        )
    finally:
        producer.stdout.close()
        producer.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr
    data = strict_json(proc.stdout)
    assert data["metrics"]["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    assert "stdin" in data["p_source"]


def test_exit_statuses(tmp_path):
    over = kl_cli("compare", "0.7,0.3", "0.4,0.6", "--fail-above", "0.1", cwd=tmp_path)
    assert over.returncode == 1
    assert b"kl_pq" in over.stdout  # the report is printed all the same
    assert b"\x1b" not in over.stdout  # piped: plain text

    bad = kl_cli("compare", "a=-1,b=2", "a=1,b=1", input=b"", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stdout == b""
    lines = bad.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kl-cli: error:") and "negative" in lines[0]
    assert b"Traceback" not in bad.stderr

    missing = kl_cli("compare", "missing.csv", "0.5,0.5", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.decode().startswith("kl-cli: error:")
