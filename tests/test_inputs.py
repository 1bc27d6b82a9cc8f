"""Every input format of ``kl-cli compare`` and every bad input, through the CLI."""

from __future__ import annotations

import json
import math

import pytest
from helpers import KL_PQ, KL_QP, by_label


def kl_by_hand(p: dict[str, float], q: dict[str, float]) -> float:
    """KL(P||Q) by hand, after normalizing both sides."""
    sp, sq = sum(p.values()), sum(q.values())
    return sum((v / sp) * math.log((v / sp) / (q[k] / sq)) for k, v in p.items() if v > 0)


# ---------------------------------------------------------------------------
# Inline


def test_inline_unlabelled(kl):
    data = kl.json("0.7,0.3", "0.4,0.6")
    assert data["metrics"]["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    assert data["metrics"]["kl_qp"] == pytest.approx(KL_QP, rel=1e-12)
    assert by_label(data) == {"0": (0.7, 0.4), "1": (0.3, 0.6)}
    assert data["only_in_p"] == [] and data["only_in_q"] == []


def test_inline_labelled_with_spaces_matched_by_label_not_order(kl):
    data = kl.json(" rain = 0.7 , dry=0.3 ", "dry =0.6,  rain= 0.4")
    assert data["metrics"]["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    assert by_label(data) == {"rain": (0.7, 0.4), "dry": (0.3, 0.6)}


def test_inline_labels_with_inner_spaces(kl):
    data = kl.json("heavy rain=0.7,light drizzle=0.3", "light drizzle=0.6,heavy rain=0.4")
    assert set(by_label(data)) == {"heavy rain", "light drizzle"}
    assert data["metrics"]["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)


def test_labels_on_one_side_only_are_reported(kl):
    data = kl.json("a=0.5,b=0.3,c=0.2", "b=0.5,a=0.4,d=0.1")
    assert data["only_in_p"] == ["c"]
    assert data["only_in_q"] == ["d"]
    cats = by_label(data)
    assert cats["c"] == (0.2, 0.0)
    assert cats["d"] == (0.0, 0.1)
    assert data["metrics"]["kl_pq"] is None and data["metrics"]["kl_qp"] is None
    table = kl.ok("a=0.5,b=0.3,c=0.2", "b=0.5,a=0.4,d=0.1", env={"COLUMNS": "160"}).stdout
    assert "(P only)" in table and "(Q only)" in table


def test_duplicate_labels_are_summed_with_a_warning(kl):
    result, data = kl.report("a=0.25,b=0.25,a=0.5", "a=0.5,b=0.5")
    assert by_label(data)["a"] == (0.75, 0.5)
    assert data["metrics"]["kl_pq"] == pytest.approx(kl_by_hand({"a": 3, "b": 1}, {"a": 1, "b": 1}), rel=1e-12)
    warning_lines = [line for line in result.stderr.splitlines() if line.startswith("kl-cli: warning:")]
    assert len(warning_lines) == 1 and "duplicate" in warning_lines[0] and "'a'" in warning_lines[0]
    assert any("duplicate" in w for w in data["warnings"])


# ---------------------------------------------------------------------------
# Files


def test_csv_file(kl, write):
    path = write("forecast.csv", "weather,probability\nsun,0.7\nrain,0.3\n")
    data = kl.json(path, "rain=0.6,sun=0.4")
    assert data["metrics"]["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    assert path in data["p_source"]


def test_tsv_file(kl, write):
    path = write("forecast.tsv", "weather\tprobability\nsun\t0.7\nrain\t0.3\n")
    assert kl.value(path, "rain=0.6,sun=0.4") == pytest.approx(KL_PQ, rel=1e-12)


def test_csv_counts_against_csv_probabilities(kl, write):
    p = write("p.csv", "w,days\nsun,70\nrain,30\n")
    q = write("q.csv", "w,prob\nrain,0.6\nsun,0.4\n")
    result, data = kl.report(p, q)
    assert result.stderr == ""  # counts normalize without a warning
    assert data["metrics"]["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)


def test_named_value_and_label_columns(kl, write):
    path = write("t.csv", "id,name,x,y\n1,sun,7,1\n2,rain,3,1\n")
    assert kl.value(path, "rain=0.6,sun=0.4", "--column", "x", "--label-column", "name") == pytest.approx(
        KL_PQ, rel=1e-12
    )


def test_numeric_label_column_with_named_value_column(kl, write):
    path = write("years.csv", "year,count\n2019,7\n2020,3\n")
    assert kl.value(path, "2020=0.6,2019=0.4", "--column", "count") == pytest.approx(KL_PQ, rel=1e-12)


def test_json_list(kl, write):
    path = write("p.json", "[0.7, 0.3]")
    assert kl.value(path, "0.4,0.6") == pytest.approx(KL_PQ, rel=1e-12)


def test_json_object(kl, write):
    path = write("p.json", '{"sun": 0.7, "rain": 0.3}')
    assert kl.value(path, "rain=0.6,sun=0.4") == pytest.approx(KL_PQ, rel=1e-12)


def test_json_list_of_strings_is_observations(kl, write):
    # 1000 observations: enough that no small-sample caveat applies either.
    days = ["sun", "sun", "rain", "sun", "sun", "rain", "sun", "rain", "sun", "sun"] * 100
    path = write("obs.json", json.dumps(days))
    data = kl.json(path, "rain=0.6,sun=0.4")
    assert by_label(data) == {"sun": (0.7, 0.4), "rain": (0.3, 0.6)}
    assert data["metrics"]["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    assert data["warnings"] == []


@pytest.mark.parametrize(
    "content",
    [
        '{"p": [0.7, 0.3], "q": [0.4, 0.6]}',
        '{"p": {"sun": 0.7, "rain": 0.3}, "q": {"rain": 0.6, "sun": 0.4}}',
        '{"q": {"rain": 60, "sun": 40}, "p": {"sun": 7, "rain": 3}}',
    ],
)
def test_json_pair_with_q_omitted(kl, write, content):
    path = write("pair.json", content)
    data = kl.json(path)
    assert data["metrics"]["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    assert data["metrics"]["kl_qp"] == pytest.approx(KL_QP, rel=1e-12)
    assert data["p_source"].startswith("P") and data["q_source"].startswith("Q")


def test_table_with_p_and_q_columns_and_q_omitted(kl, write):
    path = write("both.csv", "weather,forecast,observed\nsun,0.7,40\nrain,0.3,60\n")
    data = kl.json(path, "--p-column", "forecast", "--q-column", "observed")
    assert data["metrics"]["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    assert by_label(data) == {"sun": (0.7, 0.4), "rain": (0.3, 0.6)}


def test_raw_observation_column(kl, write):
    path = write("sky.csv", "date,sky\n1,sun\n2,sun\n3,rain\n4,sun\n5,sun\n6,rain\n7,sun\n8,rain\n9,sun\n10,sun\n")
    q = write("forecast.csv", "weather,probability\nsun,0.4\nrain,0.6\n")
    data = kl.json(path, q, "--p-column", "sky")
    assert by_label(data) == {"sun": (0.7, 0.4), "rain": (0.3, 0.6)}
    assert data["metrics"]["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)


def test_single_text_column_is_observations(kl, write):
    path = write("words.csv", "word\nsun\nsun\nrain\n")
    assert kl.value(path, "sun=2,rain=1") == 0.0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("p.dat", "weather,probability\nsun,0.7\nrain,0.3\n"),
        ("p.txt", '{"sun": 0.7, "rain": 0.3}'),
        ("p.list", "  [0.7, 0.3]"),
        ("p.data", "weather\tprobability\nsun\t0.7\nrain\t0.3\n"),
        ("noextension", "weather,probability\nsun,0.7\nrain,0.3\n"),
    ],
)
def test_unknown_extension_is_sniffed(kl, write, name, content):
    path = write(name, content)
    q = "0.4,0.6" if "[" in content else "rain=0.6,sun=0.4"
    assert kl.value(path, q) == pytest.approx(KL_PQ, rel=1e-12)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bom.csv", b"\xef\xbb\xbfweather,probability\r\nsun,0.7\r\nrain,0.3\r\n"),
        ("bom.tsv", b"\xef\xbb\xbfweather\tprobability\r\nsun\t0.7\r\nrain\t0.3\r\n"),
        ("bom.json", b'\xef\xbb\xbf{"sun": 0.7,\r\n "rain": 0.3}\r\n'),
        ("crlf.csv", b"weather,probability\r\nsun,0.7\r\nrain,0.3\r\n"),
    ],
)
def test_bom_and_crlf_are_normal_input(kl, write, name, content):
    path = write(name, content)
    data = kl.json(path, "rain=0.6,sun=0.4")
    assert set(by_label(data)) == {"sun", "rain"}  # the BOM is not part of the first header/label
    assert data["metrics"]["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)


def test_encoding_option_reads_latin1(kl, write):
    path = write("latin.csv", "weather,probability\nsol\xe9,0.7\nrain,0.3\n".encode("latin-1"))
    data = kl.json(path, "rain=0.6,solé=0.4", "--encoding", "latin-1")
    assert set(by_label(data)) == {"solé", "rain"}


def test_encoding_option_reads_utf16(kl, write):
    path = write("u16.csv", "weather,probability\nsun,0.7\nrain,0.3\n".encode("utf-16"))
    assert kl.value(path, "rain=0.6,sun=0.4", "--encoding", "utf-16") == pytest.approx(KL_PQ, rel=1e-12)


def test_duplicate_labels_in_a_csv_are_summed_with_a_warning(kl, write):
    path = write("dup.csv", "w,v\nsun,5\nrain,3\nsun,2\n")
    result = kl.ok(path, "rain=0.6,sun=0.4", "--format", "value")
    assert float(result.stdout) == pytest.approx(KL_PQ, rel=1e-12)
    assert "duplicate" in result.stderr and "'sun'" in result.stderr
    assert all(line.startswith("kl-cli: warning:") for line in result.stderr.splitlines())


def test_duplicate_keys_in_a_json_object_are_summed_with_a_warning(kl, write):
    path = write("dup.json", '{"sun": 5, "rain": 3, "sun": 2}')
    result = kl.ok(path, "rain=0.6,sun=0.4", "--format", "value")
    assert float(result.stdout) == pytest.approx(KL_PQ, rel=1e-12)
    assert "duplicate" in result.stderr


# ---------------------------------------------------------------------------
# Standard input


STDIN_CASES = {
    "csv": "weather,probability\nsun,0.7\nrain,0.3\n",
    "csv-crlf-bom": "\ufeffweather,probability\r\nsun,0.7\r\nrain,0.3\r\n",
    "tsv": "weather\tprobability\nsun\t0.7\nrain\t0.3\n",
    "json-object": '{"sun": 0.7, "rain": 0.3}',
    "json-observations": '["sun", "rain", "sun", "sun", "rain", "sun", "sun", "rain", "sun", "sun"]',
    "inline-labelled": "sun=0.7, rain=0.3\n",
    "inline-labelled-crlf": "sun=0.7,rain=0.3\r\n",
}


@pytest.mark.parametrize("case", sorted(STDIN_CASES))
def test_stdin_as_p(kl, case):
    assert kl.value("-", "rain=0.6,sun=0.4", input=STDIN_CASES[case]) == pytest.approx(KL_PQ, rel=1e-12)


@pytest.mark.parametrize(("text", "q"), [("0.7,0.3", "0.4,0.6"), ("[0.7, 0.3]", "0.4,0.6")])
def test_stdin_unlabelled(kl, text, q):
    assert kl.value("-", q, input=text) == pytest.approx(KL_PQ, rel=1e-12)


def test_stdin_as_q(kl):
    data = kl.json("0.7,0.3", "-", input="0.4,0.6\n")
    assert data["metrics"]["kl_pq"] == pytest.approx(KL_PQ, rel=1e-12)
    assert "stdin" in data["q_source"]


def test_stdin_json_pair_with_q_omitted(kl):
    assert kl.value("-", input='{"p": [0.7, 0.3], "q": [0.4, 0.6]}') == pytest.approx(KL_PQ, rel=1e-12)


def test_stdin_bytes_are_decoded_with_encoding(kl):
    data = kl.json(
        "-", "rain=0.6,solé=0.4", "--encoding", "latin-1", input="w,v\nsol\xe9,7\nrain,3\n".encode("latin-1")
    )
    assert set(by_label(data)) == {"solé", "rain"}


# ---------------------------------------------------------------------------
# Normalization


def test_side_not_summing_to_one_warns(kl):
    result, data = kl.report("0.9,0.4", "0.4,0.6")
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("kl-cli: warning:") and "1.3" in lines[0] and "P" in lines[0]
    assert any("1.3" in w for w in data["warnings"])
    assert by_label(data)["0"][0] == pytest.approx(0.9 / 1.3)


def test_strict_turns_the_warning_into_an_error(kl):
    kl.error("0.9,0.4", "0.4,0.6", "--strict", needles=["1.3", "strict"])
    kl.error("0.7,0.3", "0.5,0.6", "--strict", needles=["Q", "1.1"])


@pytest.mark.parametrize(
    ("p", "q"),
    [
        ("70,30", "40,60"),
        ("70,30", "0.4,0.6"),
        ("200.0,100.0", "100,100"),
        ("0.7,0.3000004", "0.4,0.6"),
        ("0.1,0.2,0.7", "100,100,100"),
    ],
)
def test_counts_and_probabilities_normalize_without_a_warning(kl, p, q):
    result = kl.ok(p, q, "--strict", "--format", "value")
    assert result.stderr == ""


@pytest.mark.parametrize(("p", "q"), [("7,3", "4,6"), ("2.0,1.0", "1,1")])
def test_small_counts_are_still_not_a_normalization_problem(kl, p, q):
    # Few counts may earn a sample-size warning, but never the "not 1, not whole counts" one.
    result, data = kl.report(p, q, "--strict")
    assert "sum to" not in result.stderr and "whole counts" not in result.stderr
    assert not any("whole counts" in w for w in data["warnings"])


# ---------------------------------------------------------------------------
# Bad input: exit 2 and one clear line


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["a=-1,b=2", "a=1,b=1"], ["negative", "'a'", "-1"]),
        (["--", "-1,2", "1,1"], ["negative", "item 1"]),
        (["0.5,0.5", "a=0.5,b=-0.5"], ["negative", "'b'", "Q"]),
    ],
)
def test_negative_inline(kl, args, needles):
    kl.error(*args, needles=needles)


@pytest.mark.parametrize(
    ("name", "content", "needles"),
    [
        ("neg.csv", "w,v\na,1\nb,-2\n", ["negative", "'b'", "neg.csv"]),
        ("neg.json", "[1, -2]", ["negative", "item 2", "neg.json"]),
        ("nego.json", '{"a": 1, "b": -0.5}', ["negative", "'b'", "nego.json"]),
    ],
)
def test_negative_in_files(kl, write, name, content, needles):
    kl.error(write(name, content), "a=1,b=1", needles=needles)


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ("w,v\na,1\nb,nan\nc,2\n", ["line 3", "'nan'", "'v'"]),
        ("w,v\na,1\nb,NaN\nc,2\n", ["line 3", "'NaN'"]),
        ("w,v\na,1\nb,inf\nc,2\n", ["line 3", "'inf'"]),
        ("w,v\na,1\nb,-inf\nc,2\n", ["line 3", "'-inf'"]),
        ("w,v\na,1\nb,1e400\nc,2\n", ["line 3", "1e400"]),
        ("w,v\na,1\nb,\nc,2\n", ["line 3", "empty"]),
        ("w,v\na,1\nb,2\nc,\n", ["line 4", "empty"]),
    ],
)
def test_nan_inf_and_empty_cells(kl, write, content, needles):
    kl.error(write("cells.csv", content), "a=1,b=1,c=1", needles=["cells.csv", *needles])


@pytest.mark.parametrize("extra", [[], ["--column", "v"]])
def test_nan_cell_in_a_short_value_column(kl, write, extra):
    path = write("short.csv", "w,v\na,1\nb,nan\n")
    kl.error(path, "a=1,b=1", *extra, needles=["line 3", "'nan'"])


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["nan,1", "1,1"], ["nan", "item 1"]),
        (["a=1,b=inf", "a=1,b=1"], ["inf", "'b'"]),
    ],
)
def test_nan_and_inf_inline(kl, args, needles):
    kl.error(*args, needles=needles)


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ("[1, NaN]", ["NaN"]),
        ('{"a": 1, "b": Infinity}', ["Infinity"]),
        ("[1, 1e400]", ["item 2"]),
        ("[1, null]", ["item 2", "null"]),
        ('{"a": 1, "b": null}', ["'b'", "null"]),
        ('{"a": 1, "b": "x"}', ["'b'"]),
        ("[1, true]", ["item 2"]),
    ],
)
def test_bad_json_values(kl, write, content, needles):
    kl.error(write("bad.json", content), "a=1,b=1", needles=["bad.json", *needles])


@pytest.mark.parametrize(
    "args",
    [["0,0", "1,1"], ["a=1,b=1", "a=0,b=0"], ["0.0,0", "0.5,0.5"]],
)
def test_all_zero_side_inline(kl, args):
    kl.error(*args, needles=["0"])


@pytest.mark.parametrize(
    ("name", "content"),
    [("zero.csv", "w,v\na,0\nb,0\n"), ("zero.json", "[0, 0.0]"), ("zeroo.json", '{"a": 0}')],
)
def test_all_zero_side_in_files(kl, write, name, content):
    kl.error(write(name, content), "a=1,b=1", needles=[name, "0"])


@pytest.mark.parametrize(
    ("name", "content", "needles"),
    [
        ("empty.csv", "", ["empty"]),
        ("blank.csv", "\n  \n", ["empty"]),
        ("empty.json", "", ["empty"]),
        ("empty.tsv", "", ["empty"]),
        ("header.csv", "w,v\n", ["no data rows"]),
        ("emptylist.json", "[]", ["empty"]),
        ("emptyobj.json", "{}", ["empty"]),
    ],
)
def test_empty_file_and_empty_list(kl, write, name, content, needles):
    kl.error(write(name, content), "1,1", needles=[name, *needles])


@pytest.mark.parametrize("text", ["", "   \n", "\r\n"])
def test_empty_stdin(kl, text):
    kl.error("-", "1,1", input=text, needles=["stdin", "empty"])


def test_empty_inline_list(kl):
    kl.error("", "1,1", needles=["P", "empty"])


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ("[1, 2,", ["line 1", "column"]),
        ('{"a": 1,\n "b": }', ["line 2", "column"]),
        ("{'a': 1}", ["line 1"]),
        ("[1, 2] [3]", ["line 1"]),
    ],
)
def test_malformed_json(kl, write, content, needles):
    kl.error(write("bad.json", content), "1,1", needles=["bad.json", "malformed JSON", *needles])


def test_malformed_json_on_stdin(kl):
    kl.error("-", "1,1", input='{"a": 1,', needles=["stdin", "malformed JSON"])


@pytest.mark.parametrize(
    ("option", "role"),
    [("--column", "P"), ("--p-column", "P"), ("--q-column", "Q"), ("--label-column", "P")],
)
def test_missing_named_column_lists_the_columns(kl, write, option, role):
    path = write("cols.csv", "weather,forecast,observed\nsun,0.7,40\nrain,0.3,60\n")
    extra = ["--p-column", "forecast"] if option == "--q-column" else []
    if option == "--label-column":
        extra = ["--column", "forecast"]
    line = kl.error(path, path, *extra, option, "nope", needles=["'nope'", "'weather'", "'forecast'", "'observed'"])
    assert line.startswith(f"kl-cli: error: {role}")


def test_several_numeric_columns_are_listed(kl, write):
    path = write("cols.csv", "weather,forecast,observed\nsun,0.7,40\nrain,0.3,60\n")
    kl.error(path, "sun=1,rain=1", needles=["'forecast'", "'observed'", "--column"])


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ("w,v\na,1\nb,abc\nc,3\n", ["line 3", "'abc'", "'v'"]),
        ("w,v\na,1\nb,2\nc,3\nd,4\ne,1.5.2\n", ["line 6", "'1.5.2'"]),
        ("w\tv\na\t1\nb\t2\nc\tthree\n", ["line 4", "'three'"]),
    ],
)
def test_non_numeric_text_in_a_numeric_column(kl, write, content, needles):
    name = "t.tsv" if "\t" in content else "t.csv"
    kl.error(write(name, content), "a=1,b=1,c=1,d=1,e=1", needles=needles)


def test_ragged_csv_row(kl, write):
    kl.error(write("ragged.csv", "w,v\na,1\nb,2,3\n"), "a=1,b=1", needles=["ragged.csv", "line 3"])


def test_both_sides_from_stdin(kl):
    kl.error("-", "-", input="0.5,0.5", needles=["standard input", "'-'"])


@pytest.mark.parametrize(("p", "q"), [("0.5,0.5", "0.2,0.3,0.5"), ("1,2,3", "1,2")])
def test_unlabelled_lists_of_different_lengths(kl, p, q):
    kl.error(p, q, needles=["labels", "values"])


def test_unlabelled_files_of_different_lengths(kl, write):
    kl.error(write("p.json", "[1, 2, 3]"), write("q.json", "[1, 2]"), needles=["3", "2"])


def test_labelled_against_unlabelled(kl):
    kl.error("a=0.5,b=0.5", "0.5,0.5", needles=["labels"])


@pytest.mark.parametrize(
    ("method", "option", "value"),
    [
        ("additive", "--alpha", "0"),
        ("additive", "--alpha", "-1"),
        ("additive", "--alpha", "inf"),
        ("additive", "--alpha", "nan"),
        ("epsilon", "--epsilon", "0"),
        ("epsilon", "--epsilon", "1"),
        ("epsilon", "--epsilon", "-1e-9"),
        ("epsilon", "--epsilon", "nan"),
        ("mix", "--lambda", "0"),
        ("mix", "--lambda", "1.5"),
        ("mix", "--lambda", "-0.1"),
        ("mix", "--lambda", "nan"),
    ],
)
def test_smoothing_parameter_out_of_range(kl, method, option, value):
    kl.error("0.7,0.3", "0.4,0.6", "--smoothing", method, f"{option}={value}", needles=[option])


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--alpha", "1"], ["--alpha", "additive"]),
        (["--smoothing", "mix", "--epsilon", "1e-9"], ["--epsilon"]),
        (["--smoothing", "bogus"], ["--smoothing"]),
    ],
)
def test_smoothing_parameter_for_another_method(kl, args, needles):
    kl.error("0.7,0.3", "0.4,0.6", *args, needles=needles)


def test_file_that_is_not_utf8(kl, write):
    path = write("latin.csv", "weather,probability\nsol\xe9,0.7\nrain,0.3\n".encode("latin-1"))
    kl.error(path, "a=1", needles=["latin.csv", "UTF-8".lower(), "--encoding"])


def test_utf16_file_without_encoding(kl, write):
    path = write("u16.csv", "weather,probability\nsun,0.7\n".encode("utf-16"))
    kl.error(path, "a=1", needles=["UTF-16", "--encoding"])


def test_stdin_that_is_not_utf8(kl):
    kl.error("-", "a=1", input=b"w,v\nsol\xe9,1\n", needles=["stdin", "--encoding"])


def test_unknown_encoding(kl, write):
    path = write("p.csv", "w,v\na,1\n")
    kl.error(path, "a=1", "--encoding", "no-such-codec", needles=["--encoding", "no-such-codec"])


@pytest.mark.parametrize(
    ("word", "needles"),
    [
        ("sunny", ["'sunny'", "neither an existing file nor a valid inline list"]),
        ("0.5;0.5", ["'0.5;0.5'", "file", "inline"]),
        ("missing.csv", ["'missing.csv'", "no such file", "inline"]),
        ("data/missing.json", ["no such file", "inline"]),
        ("a=0.5,0.5", ["file", "inline", "labelled"]),
        ("0.5,,0.5", ["file", "inline", "item 2"]),
    ],
)
def test_word_that_is_neither_file_nor_inline(kl, word, needles):
    kl.error(word, "1,1", needles=["P", *needles])


def test_directory_is_not_a_source(kl, tmp_path):
    kl.error(str(tmp_path), "1,1", needles=["directory"])


@pytest.mark.parametrize(
    "args",
    [["0.5,0.5"], ["a=1,b=2"]],
)
def test_q_missing(kl, args):
    kl.error(*args, needles=["Q is missing"])


def test_q_missing_for_a_table_without_both_columns(kl, write):
    path = write("both.csv", "weather,forecast,observed\nsun,0.7,40\nrain,0.3,60\n")
    kl.error(path, "--p-column", "forecast", needles=["Q is missing", "--q-column"])


def test_errors_about_labels_keep_control_characters_out_of_stderr(kl, write):
    path = write("evil.json", '{"\\u001b[31mred": -1, "ok\\u0007": 1}')
    line = kl.error(path, "a=1", needles=["negative"])
    assert "\x1b" not in line and "\x07" not in line
    assert "\\x1b[31mred" in line
