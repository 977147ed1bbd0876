"""LOBSTER loader and market-trade distances: synthetic archives with hand-computed values,
malformed archives, and one check on the real AAPL sample (skipped when the data are absent)."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from validation.data import (
    LobsterFormatError,
    find_archives,
    load_lobster,
    trade_distances,
)

DUMMY = 9_999_999_999
PREFIX = "TEST_2012-06-21_34200000_57600000"


def _csv(rows: list[tuple]) -> str:
    return "".join(",".join(str(v) for v in row) + "\n" for row in rows)


def _write_zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def _archive(
    tmp_path: Path, messages: list[tuple], book: list[tuple], levels: int, name: str | None = None
) -> Path:
    zip_name = name or f"LOBSTER_SampleFile_TEST_2012-06-21_{levels}.zip"
    return _write_zip(
        tmp_path / zip_name,
        {
            f"{PREFIX}_message_{levels}.csv": _csv(messages),
            f"{PREFIX}_orderbook_{levels}.csv": _csv(book),
            "LOBSTER_SampleFiles_ReadMe.txt": "readme\n",
        },
    )


# One level. Book row i is the book AFTER message i; prices are dollars x 10000.
MESSAGES_1 = [
    ("34200.000000001", 4, 1, 10, 1000000, -1),  # 0 execution, no prior book: dropped
    ("34200.5", 1, 2, 100, 1000100, -1),  # 1
    ("34201.0015", 4, 2, 40, 1000100, -1),  # 2 at the ask
    ("34201.0015", 5, 3, 7, 1000000, 1),  # 3 hidden at the mid
    ("34202.25", 1, 4, 20, 999950, 1),  # 4 new bid 99.995
    ("34203.0", 5, 5, 3, 1000050, -1),  # 5 hidden inside
    ("34204", 3, 4, 20, 999950, 1),  # 6
    ("34205", 1, 6, 10, 1000100, 1),  # 7 book locked afterwards
    ("34206", 4, 7, 5, 1000100, -1),  # 8 prior book locked: dropped
    ("34207", 3, 2, 60, 1000100, -1),  # 9 ask side empties
    ("34208", 5, 8, 2, 999900, 1),  # 10 prior ask missing: dropped
    ("34209.5", 1, 9, 10, 1000200, -1),  # 11 new ask 100.02
    ("34209.999999999", 5, 10, 4, 999800, 1),  # 12 hidden beyond the bid
]
BOOK_1 = [
    (1000100, 5, 999900, 10),
    (1000100, 105, 999900, 10),
    (1000100, 65, 999900, 10),
    (1000100, 65, 999900, 10),
    (1000100, 65, 999950, 20),
    (1000100, 65, 999950, 20),
    (1000100, 65, 999900, 10),
    (1000100, 65, 1000100, 10),
    (1000100, 60, 999900, 10),
    (DUMMY, 0, 999900, 10),
    (DUMMY, 0, 999900, 10),
    (1000200, 10, 999900, 10),
    (1000200, 10, 999900, 10),
]

# Three levels; the execution in message 1 empties ask level 1, so using book row i instead
# of row i - 1 would give a different mid.
MESSAGES_3 = [
    ("34200.1", 1, 1, 100, 500000, 1),
    ("34200.2", 4, 11, 10, 500100, -1),
    ("34200.3", 5, 12, 5, 500050, -1),
]
BOOK_3 = [
    (500100, 10, 500000, 100, 500200, 20, -DUMMY, 0, DUMMY, 0, -DUMMY, 0),
    (500200, 20, 500000, 100, DUMMY, 0, -DUMMY, 0, DUMMY, 0, -DUMMY, 0),
    (500200, 20, 500000, 100, DUMMY, 0, -DUMMY, 0, DUMMY, 0, -DUMMY, 0),
]


def test_load_one_level(tmp_path: Path) -> None:
    day = load_lobster(_archive(tmp_path, MESSAGES_1, BOOK_1, 1))
    assert (day.ticker, day.date, day.levels, len(day)) == ("TEST", dt.date(2012, 6, 21), 1, 13)
    m = day.messages
    assert m["time_s"][2] == 34201.0015
    np.testing.assert_array_equal(m["type"], [r[1] for r in MESSAGES_1])
    np.testing.assert_array_equal(m["order_id"], [r[2] for r in MESSAGES_1])
    np.testing.assert_array_equal(m["size"], [r[3] for r in MESSAGES_1])
    np.testing.assert_array_equal(m["direction"], [r[5] for r in MESSAGES_1])
    assert m["price"][4] == 99.995
    assert day.ask_price.shape == (13, 1)
    assert day.ask_price[0, 0] == 100.01 and day.bid_price[0, 0] == 99.99
    assert day.ask_size[1, 0] == 105 and day.bid_size[4, 0] == 20
    assert np.isnan(day.ask_price[9, 0]) and day.ask_size[9, 0] == 0
    assert np.count_nonzero(np.isnan(day.ask_price)) == 2
    assert not np.isnan(day.bid_price).any()
    with pytest.raises(ValueError, match="read-only"):
        day.ask_price[0, 0] = 1.0


def test_distances_one_level(tmp_path: Path) -> None:
    td = trade_distances(load_lobster(_archive(tmp_path, MESSAGES_1, BOOK_1, 1)))
    # Hand computation: d = |2p - (a + b)| / (a + b), h = (a - b) / (a + b) in raw units.
    np.testing.assert_array_equal(td.message_index, [2, 3, 5, 12])
    np.testing.assert_allclose(
        td.distance, [200 / 2000000, 0.0, 50 / 2000050, 500 / 2000100], rtol=1e-15, atol=0
    )
    np.testing.assert_allclose(
        td.half_spread,
        [200 / 2000000, 200 / 2000000, 150 / 2000050, 300 / 2000100],
        rtol=1e-15,
        atol=0,
    )
    np.testing.assert_array_equal(td.at_half_spread, [True, False, False, False])
    assert td.distance[0] == td.half_spread[0]
    np.testing.assert_array_equal(td.size, [40, 7, 3, 4])
    assert td.time_ms.dtype == np.int64
    np.testing.assert_array_equal(td.time_ms, [34201001, 34201001, 34203000, 34209999])
    assert (td.n_executions, td.n_no_prior_book, td.n_no_quote, td.n_crossed) == (7, 1, 1, 1)
    assert td.n_kept + td.n_no_prior_book + td.n_no_quote + td.n_crossed == td.n_executions
    s = td.summary()
    assert (s["fraction_at_half_spread"], s["fraction_inside"], s["fraction_outside"]) == (
        0.25,
        0.5,
        0.25,
    )
    d = np.array([200 / 2000000, 0.0, 50 / 2000050, 500 / 2000100])
    assert s["median_distance_bps"] == pytest.approx(np.median(d) * 1e4, rel=1e-12)
    assert s["cv"] == pytest.approx(np.std(d, ddof=1) / np.mean(d), rel=1e-12)


def test_three_levels(tmp_path: Path) -> None:
    day = load_lobster(_archive(tmp_path, MESSAGES_3, BOOK_3, 3))
    assert day.levels == 3 and day.ask_price.shape == (3, 3)
    np.testing.assert_array_equal(day.ask_price[0], [50.01, 50.02, np.nan])
    np.testing.assert_array_equal(day.bid_price[0], [50.00, np.nan, np.nan])
    np.testing.assert_array_equal(day.ask_size[0], [10, 20, 0])
    np.testing.assert_array_equal(day.bid_size[1], [100, 0, 0])
    td = trade_distances(day)
    np.testing.assert_allclose(td.distance, [100 / 1000100, 100 / 1000200], rtol=1e-15, atol=0)
    np.testing.assert_allclose(td.half_spread, [100 / 1000100, 200 / 1000200], rtol=1e-15, atol=0)
    np.testing.assert_array_equal(td.at_half_spread, [True, False])
    np.testing.assert_array_equal(td.time_ms, [34200200, 34200300])


def test_find_archives_sorted(tmp_path: Path) -> None:
    for name in ("b.zip", "a.zip", "c.txt"):
        (tmp_path / name).write_bytes(b"")
    assert find_archives(tmp_path) == [tmp_path / "a.zip", tmp_path / "b.zip"]


def _replace(rows: list[tuple], i: int, j: int, value: object) -> list[tuple]:
    out = [list(r) for r in rows]
    out[i][j] = value
    return [tuple(r) for r in out]


MSG = f"{PREFIX}_message_1.csv"
BOOK = f"{PREFIX}_orderbook_1.csv"


@pytest.mark.parametrize(
    ("members", "member", "phrase"),
    [
        ({BOOK: _csv(BOOK_1)}, None, "missing message member"),
        ({MSG: _csv(MESSAGES_1)}, None, "missing orderbook member"),
        (
            {MSG: _csv(MESSAGES_1), f"{PREFIX}_orderbook_3.csv": _csv(BOOK_1)},
            None,
            "levels mismatch",
        ),
        (
            {MSG: _csv(MESSAGES_1), BOOK: _csv([(*r, 1000300, 1, 999800, 1) for r in BOOK_1])},
            BOOK,
            "wrong column count: expected 4, found 8",
        ),
        (
            {MSG: _csv([r[:5] for r in MESSAGES_1]), BOOK: _csv(BOOK_1)},
            MSG,
            "wrong column count: expected 6, found 5",
        ),
        (
            {MSG: _csv(_replace(MESSAGES_1, 3, 3, "abc")), BOOK: _csv(BOOK_1)},
            MSG,
            "non-numeric field 'abc' in row 4, column 4",
        ),
        (
            {MSG: _csv(MESSAGES_1), BOOK: _csv(_replace(BOOK_1, 5, 0, ""))},
            BOOK,
            "non-numeric field '' in row 6, column 1",
        ),
        (
            {MSG: _csv(_replace(MESSAGES_1, 2, 4, "1000100.5")), BOOK: _csv(BOOK_1)},
            MSG,
            "non-integer field 1000100.5 in row 3, column 5",
        ),
        (
            {MSG: _csv(MESSAGES_1), BOOK: _csv(BOOK_1[:-1])},
            None,
            "row counts differ: .* 13 rows, .* 12",
        ),
        (
            {MSG: _csv(_replace(MESSAGES_1, 5, 0, "34201.0")), BOOK: _csv(BOOK_1)},
            MSG,
            "non-monotone time: row 6",
        ),
        (
            {MSG: _csv(_replace(MESSAGES_1, 5, 1, 9)), BOOK: _csv(BOOK_1)},
            MSG,
            "unknown message type 9 in row 6",
        ),
        (
            {MSG: _csv(_replace(MESSAGES_1, 1, 5, 0)), BOOK: _csv(BOOK_1)},
            MSG,
            r"direction not in \{-1, 1\} 0 in row 2",
        ),
        (
            {MSG: _csv(MESSAGES_1) + "34300,1,1,1,1,1,7\n", BOOK: _csv(BOOK_1)},
            MSG,
            "unparseable CSV",
        ),
        ({MSG: "", BOOK: _csv(BOOK_1)}, MSG, "member is empty"),
    ],
)
def test_malformed_archives(
    tmp_path: Path, members: dict[str, str], member: str | None, phrase: str
) -> None:
    path = _write_zip(tmp_path / "LOBSTER_SampleFile_TEST_2012-06-21_1.zip", members)
    with pytest.raises(LobsterFormatError, match=phrase) as info:
        load_lobster(path)
    assert str(path) in str(info.value)
    assert info.value.member == member
    if member is not None:
        assert f"[{member}]" in str(info.value)


def test_archive_name_levels_mismatch(tmp_path: Path) -> None:
    name = "LOBSTER_SampleFile_TEST_2012-06-21_5.zip"
    path = _archive(tmp_path, MESSAGES_1, BOOK_1, 1, name=name)
    with pytest.raises(LobsterFormatError, match="archive name says 5 levels, members say 1"):
        load_lobster(path)


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_text("not a zip")
    with pytest.raises(LobsterFormatError, match=r"broken\.zip: not a zip archive"):
        load_lobster(path)


def _data_dir() -> Path:
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lobster"
    return Path(os.environ.get("LOBSTER_DATA_DIR", default))


def test_real_aapl_executions_against_plain_csv() -> None:
    path = _data_dir() / "LOBSTER_SampleFile_AAPL_2012-06-21_1.zip"
    if not path.is_file():
        pytest.skip(f"LOBSTER sample data not found at {path} (set LOBSTER_DATA_DIR)")
    # Independent count from the raw members with the csv module, integer prices throughout.
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        msg = next(n for n in names if "_message_" in n)
        book = next(n for n in names if "_orderbook_" in n)
        msg_rows = list(csv.reader(io.TextIOWrapper(archive.open(msg))))
        book_rows = list(csv.reader(io.TextIOWrapper(archive.open(book))))
    executions = at_touch = 0
    for i, row in enumerate(msg_rows):
        if row[1] not in ("4", "5") or i == 0:
            continue
        executions += 1
        ask, bid, price = int(book_rows[i - 1][0]), int(book_rows[i - 1][2]), int(row[4])
        at_touch += price in (ask, bid)
    assert executions == 34_990  # REFERENCE_FACTS.md

    td = trade_distances(load_lobster(path))
    assert td.n_executions == executions and td.n_kept == executions
    assert int(np.count_nonzero(td.at_half_spread)) == at_touch
    assert td.summary()["fraction_at_half_spread"] == pytest.approx(2 / 3, abs=0.02)


def _member_data_span(path: Path, member_suffix: str) -> tuple[int, int]:
    """(offset, length) of a member's compressed bytes inside the archive."""
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(member_suffix))
    raw = path.read_bytes()
    name_len, extra_len = (
        int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little"),
        int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little"),
    )
    return info.header_offset + 30 + name_len + extra_len, info.compress_size


def _flip(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0xFF
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("member_suffix", ["_message_1.csv", "_orderbook_1.csv"])
@pytest.mark.parametrize("where", [0.0, 0.5, 0.99])
def test_a_damaged_member_is_a_format_error(tmp_path: Path, member_suffix: str, where) -> None:
    """A flipped byte of the deflate stream raised zlib.error or BadZipFile (CRC) before."""
    path = _archive(tmp_path, *_long_day(200), 1)
    load_lobster(path)  # control: the undamaged archive loads
    offset, length = _member_data_span(path, member_suffix)
    _flip(path, offset + int(where * (length - 1)))
    with pytest.raises(LobsterFormatError) as info:
        load_lobster(path)
    assert info.value.member is not None and info.value.member.endswith(member_suffix)


def test_a_truncated_archive_is_a_format_error(tmp_path: Path) -> None:
    path = _archive(tmp_path, MESSAGES_1, BOOK_1, 1)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(LobsterFormatError, match="not a zip archive"):
        load_lobster(path)


def test_members_above_the_size_cap_are_refused(tmp_path: Path) -> None:
    path = _archive(tmp_path, MESSAGES_1, BOOK_1, 1)
    sizes = [i.file_size for i in zipfile.ZipFile(path).infolist() if i.filename.endswith("csv")]
    assert load_lobster(path, max_member_bytes=max(sizes)).levels == 1
    with pytest.raises(LobsterFormatError, match="more than the cap"):
        load_lobster(path, max_member_bytes=max(sizes) - 1)


def test_a_member_longer_than_its_header_says_is_a_format_error(tmp_path: Path, monkeypatch):
    """An understated size cannot get past the cap: zipfile reads only the declared bytes,
    then the CRC check fails."""
    path = _archive(tmp_path, *_long_day(200), 1)
    real_getinfo = zipfile.ZipFile.getinfo

    def understated(self, name):
        info = copy.copy(real_getinfo(self, name))
        info.file_size = 10  # what a lying header would declare
        return info

    monkeypatch.setattr(zipfile.ZipFile, "getinfo", understated)
    with pytest.raises(LobsterFormatError, match=r"damaged member \(BadZipFile: Bad CRC-32"):
        load_lobster(path, max_member_bytes=100)


def _long_day(n: int) -> tuple[list[tuple], list[tuple]]:
    """n valid one-level rows (increasing times, the book of BOOK_1's second row)."""
    messages = [(f"{34200 + 0.5 * k:.1f}", 1, k + 1, 10, 1000100, -1) for k in range(n)]
    return messages, [BOOK_1[1]] * n
