"""Loader for LOBSTER message and order-book files, read directly from the zip archive.

A LOBSTER archive holds, for one ticker and day and ``L`` book levels, two CSV members without
header row (see ``LOBSTER_SampleFiles_ReadMe.txt`` shipped with the data):

- ``TICKER_DATE_START_END_message_L.csv``: ``N x 6`` = time (seconds after midnight, up to ns
  precision), type (1 new limit order, 2 partial cancel, 3 delete, 4 execution of a visible
  order, 5 execution of a hidden order, 6 cross, 7 trading halt), order id, size (shares),
  price (dollars x 10000), direction (-1 sell limit order, 1 buy limit order).
- ``TICKER_DATE_START_END_orderbook_L.csv``: ``N x 4L`` = ask price 1, ask size 1, bid price 1,
  bid size 1, ask price 2, ... Row ``i`` is the book *after* message ``i``.

Units in :class:`LobsterDay`: times in seconds after midnight (float64), prices in dollars
(raw / 10000), sizes in shares. Unoccupied book levels carry the dummy prices
``+9999999999`` (ask) and ``-9999999999`` (bid) with size 0; they are stored as NaN prices
(missing) with their size 0 kept. For type-7 (halt) messages the price column is a flag
(-1 halt, 0 quoting, 1 resume) and is divided by 10000 like every other price.

Damage and size. Every fault of the archive, including a corrupted deflate stream
(``zlib.error``), a CRC mismatch or truncation (``BadZipFile``, ``EOFError``) and an
unsupported compression or encryption, is raised as :class:`LobsterFormatError` naming the
archive and member. Members are parsed as streams straight from the archive (no copy of the
unpacked bytes is held), and a member whose unpacked size exceeds ``max_member_bytes``
(default :data:`MAX_MEMBER_BYTES`, 2 GiB) is refused before any of it is read. The declared
size cannot be understated to get past the cap: ``zipfile`` reads no more than the declared
size and then fails the CRC check, a damaged member like any other.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

PRICE_SCALE = 10_000
"""Raw LOBSTER prices are dollars x ``PRICE_SCALE``."""

DUMMY_PRICE = 9_999_999_999
"""Absolute value of the raw dummy price LOBSTER writes for unoccupied levels."""

MAX_MEMBER_BYTES = 2**31
"""Largest unpacked member :func:`load_lobster` reads by default (bytes)."""

#: what reading a damaged member raises (zlib for a corrupted deflate stream)
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)

MESSAGE_TYPES = frozenset({1, 2, 3, 4, 5, 6, 7})
DIRECTIONS = frozenset({-1, 1})

MESSAGE_DTYPE = np.dtype(
    [
        ("time_s", np.float64),
        ("type", np.int64),
        ("order_id", np.int64),
        ("size", np.int64),
        ("price", np.float64),
        ("direction", np.int64),
    ]
)
"""Fields of :attr:`LobsterDay.messages` (``price`` in dollars, ``time_s`` after midnight)."""

_MEMBER_RE = re.compile(
    r"^(?P<ticker>[^_/]+)_(?P<date>\d{4}-\d{2}-\d{2})_(?P<start>\d+)_(?P<end>\d+)_"
    r"(?P<kind>message|orderbook)_(?P<levels>\d+)\.csv$"
)


class LobsterFormatError(ValueError):
    """A LOBSTER archive is malformed; the message names the archive, the member and the fault."""

    def __init__(self, archive: str | Path, member: str | None, problem: str) -> None:
        self.archive = str(archive)
        self.member = member
        self.problem = problem
        where = f"{self.archive}" if member is None else f"{self.archive} [{member}]"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True, eq=False)
class LobsterDay:
    """One ticker-day of LOBSTER data. All arrays are read-only.

    Attributes:
        ticker: e.g. ``"AAPL"``.
        date: trading day.
        levels: number of book levels ``L``.
        messages: structured array of length ``N`` with fields of :data:`MESSAGE_DTYPE`.
        ask_price, bid_price: ``(N, L)`` float64 dollars; NaN where the level is unoccupied.
        ask_size, bid_size: ``(N, L)`` int64 shares (0 where unoccupied).
        source: the archive the data were read from.

    Row ``i`` of the book arrays is the book after message ``i``.
    """

    ticker: str
    date: dt.date
    levels: int
    messages: np.ndarray
    ask_price: np.ndarray
    ask_size: np.ndarray
    bid_price: np.ndarray
    bid_size: np.ndarray
    source: Path

    def __len__(self) -> int:
        return len(self.messages)


def find_archives(directory: str | Path) -> list[Path]:
    """All ``*.zip`` files directly inside ``directory``, sorted by name."""
    return sorted(Path(directory).glob("*.zip"))


def load_lobster(zip_path: str | Path, *, max_member_bytes: int = MAX_MEMBER_BYTES) -> LobsterDay:
    """Read a LOBSTER zip archive (message + order-book members) without extracting it.

    ``L`` is taken from the member names and must agree between the two members, with the
    order-book column count (``4L``) and with a trailing ``_L`` in the archive name when that
    name ends in ``TICKER_DATE_L.zip``.

    Raises:
        LobsterFormatError: missing or ambiguous members, inconsistent names or levels, wrong
            column count, non-numeric or non-integer field, unknown message type or direction,
            differing row counts, non-finite or decreasing time; a damaged member (corrupted
            stream, CRC mismatch, truncation) or one larger than ``max_member_bytes`` unpacked.
        FileNotFoundError: no such file.
    """
    path = Path(zip_path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise LobsterFormatError(path, None, f"not a zip archive ({exc})") from exc
    with archive:
        msg_member, msg_meta = _find_member(path, archive, "message")
        book_member, book_meta = _find_member(path, archive, "orderbook")
        for key in ("ticker", "date", "levels"):
            if msg_meta[key] != book_meta[key]:
                problem = (
                    f"{key} differs between members: {msg_member} has {msg_meta[key]!r}, "
                    f"{book_member} has {book_meta[key]!r}"
                )
                if key == "levels":
                    problem = "levels mismatch: " + problem
                raise LobsterFormatError(path, None, problem)
        levels = int(msg_meta["levels"])
        if levels < 1:
            raise LobsterFormatError(path, None, f"levels must be >= 1, names say {levels}")
        _check_archive_name(path, msg_meta, levels)
        msg_cols = _read_csv(path, archive, msg_member, max_member_bytes, 6, float_cols={0})
        book_cols = _read_csv(path, archive, book_member, max_member_bytes, 4 * levels, set())
    n_msg, n_book = len(msg_cols[0]), len(book_cols[0])
    if n_msg != n_book:
        raise LobsterFormatError(
            path,
            None,
            f"row counts differ: {msg_member} has {n_msg} rows, {book_member} has {n_book}",
        )
    messages = _messages(path, msg_member, msg_cols)
    book = np.column_stack(book_cols)
    ask_raw, bid_raw = book[:, 0::4], book[:, 2::4]
    return LobsterDay(
        ticker=str(msg_meta["ticker"]),
        date=dt.date.fromisoformat(str(msg_meta["date"])),
        levels=levels,
        messages=_readonly(messages),
        ask_price=_readonly(_dollars(ask_raw)),
        ask_size=_readonly(np.ascontiguousarray(book[:, 1::4])),
        bid_price=_readonly(_dollars(bid_raw)),
        bid_size=_readonly(np.ascontiguousarray(book[:, 3::4])),
        source=path,
    )


def _find_member(
    path: Path, archive: zipfile.ZipFile, kind: str
) -> tuple[str, dict[str, str | int]]:
    """The unique ``*_{kind}_L.csv`` member and the fields parsed from its name."""
    found = []
    for name in archive.namelist():
        match = _MEMBER_RE.match(name.rsplit("/", 1)[-1])
        if match and match["kind"] == kind:
            meta: dict[str, str | int] = dict(match.groupdict())
            meta["levels"] = int(match["levels"])
            found.append((name, meta))
    if not found:
        raise LobsterFormatError(
            path,
            None,
            f"missing {kind} member (expected TICKER_YYYY-MM-DD_START_END_{kind}_L.csv; "
            f"members are {archive.namelist()})",
        )
    if len(found) > 1:
        names = [name for name, _ in found]
        raise LobsterFormatError(path, None, f"several {kind} members: {names}")
    return found[0]


def _check_archive_name(path: Path, meta: dict[str, str | int], levels: int) -> None:
    """An archive named ``..._TICKER_DATE_L.zip`` must hold ``L``-level members."""
    match = re.search(rf"_{re.escape(str(meta['ticker']))}_{meta['date']}_(\d+)$", path.stem)
    if match and int(match[1]) != levels:
        raise LobsterFormatError(
            path,
            None,
            f"levels mismatch: archive name says {match[1]} levels, members say {levels}",
        )


def _read_csv(
    path: Path,
    archive: zipfile.ZipFile,
    member: str,
    max_bytes: int,
    n_cols: int,
    float_cols: set[int],
) -> list[np.ndarray]:
    """Parse a header-less numeric CSV member; ``float_cols`` are float64, others int64."""
    size = archive.getinfo(member).file_size
    if size > max_bytes:
        raise LobsterFormatError(
            path, member, f"member is {size} bytes unpacked, more than the cap {max_bytes}"
        )
    try:
        with archive.open(member) as stream:
            frame = pd.read_csv(stream, header=None, na_filter=False)
    except pd.errors.EmptyDataError:
        raise LobsterFormatError(path, member, "member is empty") from None
    except pd.errors.ParserError as exc:
        raise LobsterFormatError(path, member, f"unparseable CSV ({exc})") from exc
    except _READ_ERRORS as exc:
        raise LobsterFormatError(
            path, member, f"damaged member ({type(exc).__name__}: {exc})"
        ) from exc
    if frame.shape[1] != n_cols:
        raise LobsterFormatError(
            path, member, f"wrong column count: expected {n_cols}, found {frame.shape[1]}"
        )
    columns = []
    for j in range(n_cols):
        col = frame[j]
        if not pd.api.types.is_numeric_dtype(col.dtype):
            numeric = pd.to_numeric(col, errors="coerce")
            row = int(np.flatnonzero(numeric.isna().to_numpy())[0])
            raise LobsterFormatError(
                path,
                member,
                f"non-numeric field {col.iloc[row]!r} in row {row + 1}, column {j + 1}",
            )
        values = col.to_numpy()
        if j in float_cols:
            columns.append(values.astype(np.float64, copy=False))
            continue
        if not pd.api.types.is_integer_dtype(col.dtype):
            bad = np.flatnonzero(~np.isfinite(values) | (values != np.round(values)))
            row = int(bad[0])
            raise LobsterFormatError(
                path,
                member,
                f"non-integer field {values[row].item()!r} in row {row + 1}, column {j + 1}",
            )
        columns.append(values.astype(np.int64, copy=False))
    return columns


def _messages(path: Path, member: str, cols: list[np.ndarray]) -> np.ndarray:
    """Validate the message columns and pack them into a :data:`MESSAGE_DTYPE` array."""
    time_s, mtype, order_id, size, price_raw, direction = cols
    checks = (
        (~np.isfinite(time_s), "non-finite time", time_s),
        (time_s < 0, "negative time", time_s),
        (~np.isin(mtype, list(MESSAGE_TYPES)), "unknown message type", mtype),
        (~np.isin(direction, list(DIRECTIONS)), "direction not in {-1, 1}", direction),
        (size < 0, "negative size", size),
    )
    for bad, what, values in checks:
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            value = values[row].item()
            raise LobsterFormatError(path, member, f"{what} {value!r} in row {row + 1}")
    back = np.flatnonzero(np.diff(time_s) < 0)
    if back.size:
        row = int(back[0]) + 1
        raise LobsterFormatError(
            path,
            member,
            f"non-monotone time: row {row + 1} has {time_s[row].item()!r} < "
            f"{time_s[row - 1].item()!r} in row {row}",
        )
    messages = np.empty(len(time_s), dtype=MESSAGE_DTYPE)
    messages["time_s"] = time_s
    messages["type"] = mtype
    messages["order_id"] = order_id
    messages["size"] = size
    messages["price"] = price_raw / PRICE_SCALE
    messages["direction"] = direction
    return messages


def _dollars(raw: np.ndarray) -> np.ndarray:
    """Raw book prices to dollars, dummy prices (``|p| == DUMMY_PRICE``) to NaN."""
    out = raw / PRICE_SCALE
    out[np.abs(raw) == DUMMY_PRICE] = np.nan
    return np.ascontiguousarray(out)


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array
