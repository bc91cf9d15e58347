"""The bench's helpers that decide what runs where: database kinds, private names, rounds, the table."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import _databases  # noqa: E402 - bench/ is not a package
import _rounds  # noqa: E402 - likewise


def test_database_kinds_are_read_in_order_once_each():
    assert _databases.parse_kinds("SQLite, postgresql,sqlite,mariadb") == ["sqlite", "postgresql", "mariadb"]


@pytest.mark.parametrize("text", ["oracle", "", " , "])
def test_an_unknown_or_empty_database_list_is_refused(text):
    with pytest.raises(ValueError):
        _databases.parse_kinds(text)


@pytest.mark.parametrize("name", ["test", "bench; DROP DATABASE x", "Bench", "x" * 64])
def test_a_private_database_is_never_test_nor_an_unchecked_name(tmp_path, name):
    with pytest.raises(ValueError):
        _databases.create("postgresql", name, tmp_path)


def test_a_sqlite_database_is_a_file_in_the_workdir(tmp_path):
    assert _databases.create("sqlite", "bench_pipeline_1", tmp_path) == f"sqlite:///{tmp_path}/bench_pipeline_1.db"


def test_every_name_runs_once_in_every_round():
    order = _rounds.schedule(["a", "b", "c"], 4)
    assert [turn for turn, _ in order] == [1] * 3 + [2] * 3 + [3] * 3 + [4] * 3
    for turn in range(1, 5):
        assert sorted(name for number, name in order if number == turn) == ["a", "b", "c"]


def test_the_table_gives_medians_and_ratios_to_the_base():
    figures = {
        "sqlite": _rounds.medians([{"rate": 100.0}, {"rate": 300.0}, {"rate": 200.0}]),
        "postgresql": _rounds.medians([{"rate": 50.0}, {"rate": float("nan")}]),
        "mariadb": {},
    }
    lines = _rounds.table([("rate", "deliveries/s")], figures, "sqlite").splitlines()
    assert lines[0] == "| measure | sqlite | postgresql | postgresql / sqlite | mariadb | mariadb / sqlite |"
    assert lines[2] == "| deliveries/s | 200.0 | 50.0 | 0.25 | - | - |"
