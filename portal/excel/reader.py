"""Reading an uploaded .xlsx without trusting it.

An .xlsx is a zip of XML parts. A hostile one is small on the wire and huge inside (shared
strings that unpack to 200 MiB, a megabyte of whitespace that unpacks to a gigabyte), or modest
inside but costly to parse (a thousand rows of 16,384 cells without `r=` attributes). So an
upload passes three gates, each refusing with a message for the file field, in a second or two
and in little memory, before anything is stored:

1. the upload: its size and name;
2. the package, before openpyxl sees it: the number of members, their compression method, each
   member's declared size, their total and the compression ratio. Then every member is unpacked
   in chunks, counting the bytes it really yields against the same caps (a header that lies
   about its size cannot pass: zipfile stops at the declared size and the checksum then fails),
   and every part is scanned as XML as it streams (expat, no tree built): no DTD (entity
   expansion), no row with more cells than the columns allowed, rows in order, no data below
   the last row read, no more shared strings than cells, and no more elements (weighed by what
   openpyxl builds of them) than that many rows and columns can need;
3. the sheet, with openpyxl in read-only mode, reading at most those rows and columns, and
   refusing a text cell longer than the free-text limit (portal.limits), named by row and column.

The limits are `settings.PORTAL["EXCEL_*"]` and `["TEXT_MAX_LENGTH"]` (see portal/settings.py).
"""

from __future__ import annotations

import hashlib
import io
import pyexpat
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from portal import limits as text_limits

if TYPE_CHECKING:
    from portal.excel.sheet import Sheet

# Blank rows tolerated after the data (formatting copied down) before a file counts as too long.
BLANK_SLACK = 1000
# Structural bounds no real workbook comes near (Excel writes a dozen or two parts, and packs
# XML 5 to 30 times); a part is judged by its ratio only from this size on.
MAX_MEMBERS = 1000
MAX_RATIO = 100
RATIO_FROM_BYTES = 1 << 20
# What openpyxl will build is bounded by weighing every element: the cells' own elements (row,
# c, v, f, a string's is / si / t) weigh 1 and cost openpyxl a few µs each; any other (styles,
# merged cells, data validations, rich-text runs, defined names) weighs 16, for it costs up to
# some 70 µs. A workbook may weigh 4 per cell of the rows and columns read, plus a spare, and
# hold no more shared strings than cells. So the largest file the limits accept (2,000 rows of
# 30 distinct texts) reads in about a second, and anything heavier is refused as it streams.
OTHER_WEIGHT = 16
SPARE_WEIGHT = 20_000
SPARE_STRINGS = 1000
CHUNK = 64 * 1024
# At most this many over-long cells are named; the rest are counted.
SHOWN_PROBLEMS = 10

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROW, CELL, STRING = f"{MAIN_NS} row", f"{MAIN_NS} c", f"{MAIN_NS} si"
VALUES = {f"{MAIN_NS} v", f"{MAIN_NS} is"}
DATA = {ROW, CELL, STRING, *VALUES, f"{MAIN_NS} f", f"{MAIN_NS} t"}


@dataclass(frozen=True)
class Limits:
    """How much of an upload is read; `from_settings()` gives the portal's."""

    max_bytes: int
    max_unzipped_bytes: int
    max_part_bytes: int
    max_rows: int
    max_columns: int
    text_max_length: int

    @classmethod
    def from_settings(cls) -> Limits:
        portal = settings.PORTAL
        return cls(
            max_bytes=portal["EXCEL_MAX_BYTES"],
            max_unzipped_bytes=portal["EXCEL_MAX_UNZIPPED_BYTES"],
            max_part_bytes=portal["EXCEL_MAX_PART_BYTES"],
            max_rows=portal["EXCEL_MAX_ROWS"],
            max_columns=portal["EXCEL_MAX_COLUMNS"],
            text_max_length=text_limits.text_max_length(),
        )


@dataclass
class Upload:
    """What an uploaded file says: its named cells (the period in B1...) as text, and its data
    rows as (Excel row number, {column header: cell value})."""

    file_name: str
    sha256: str
    cells: dict[str, str] = field(default_factory=dict)
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def read_upload(uploaded, *, sheet: Sheet, limits: Limits | None = None) -> Upload:
    """Check and read an uploaded .xlsx laid out as `sheet` declares. Raises a ValidationError
    (for the file field) for anything that is not such a file, or exceeds a limit."""
    limits = limits or Limits.from_settings()
    data = _check_upload(uploaded, limits)
    row_limit = sheet.first_row - 1 + limits.max_rows + BLANK_SLACK
    _check_package(data, limits, row_limit=row_limit)
    upload = Upload(file_name=uploaded.name, sha256=hashlib.sha256(data).hexdigest())
    _read_sheet(upload, data, sheet=sheet, limits=limits, row_limit=row_limit)
    return upload


def problem_text(row: int, column: str, message: str) -> str:
    """A problem as the user reads it: "Row 4 “本期完成投资（万元）”: Enter a number."."""
    if column:
        return _("Row %(row)s “%(column)s”: %(message)s") % {
            "row": row,
            "column": column,
            "message": message,
        }
    return _("Row %(row)s: %(message)s") % {"row": row, "message": message}


def code_text(value: Any) -> str:
    """A cell as text (a code, a name, free text): 2026 rather than 2026.0, Windows line ends
    as "\n", without surrounding spaces."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").strip()


# --- 1. the upload -------------------------------------------------------------------------------


def unreadable() -> ValidationError:
    return ValidationError(
        _(
            "This file cannot be read as an Excel workbook (.xlsx). Download the template, fill "
            "it in and save it in the same format."
        ),
        code="unreadable",
    )


def too_many_rows(limits: Limits) -> ValidationError:
    return ValidationError(
        _("The file has more than %(max)s rows: split it into smaller files.")
        % {"max": limits.max_rows},
        code="too_many_rows",
    )


def _check_upload(uploaded, limits: Limits) -> bytes:
    if uploaded.size > limits.max_bytes:
        raise ValidationError(
            _("The file is %(size)s KB; the limit is %(limit)s KB.")
            % {"size": -(-uploaded.size // 1024), "limit": limits.max_bytes // 1024},
            code="too_large",
        )
    if not uploaded.name.lower().endswith(".xlsx"):
        raise ValidationError(
            _(
                "Upload an Excel workbook (.xlsx): download the template, fill it in and save it "
                "in the same format."
            ),
            code="extension",
        )
    uploaded.seek(0)
    data = uploaded.read(limits.max_bytes + 1)
    uploaded.seek(0)
    if len(data) > limits.max_bytes:  # the declared size was wrong
        raise unreadable()
    return data


# --- 2. the package ------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / 2**20:g}"


def _unpacks_too_large(limits: Limits) -> ValidationError:
    return ValidationError(
        _(
            "This workbook unpacks to more than %(limit)s MB, far more than a filled-in template "
            "needs, and is refused. Remove pictures and other sheets, or split the rows into "
            "several files."
        )
        % {"limit": _megabytes(limits.max_unzipped_bytes)},
        code="unpacked_too_large",
    )


def _part_too_large(name: str, limits: Limits) -> ValidationError:
    return ValidationError(
        _(
            "A part of this workbook (%(part)s) unpacks to more than %(limit)s MB and is "
            "refused. Remove pictures and other sheets, or split the rows into several files."
        )
        % {"part": name[:100], "limit": _megabytes(limits.max_part_bytes)},
        code="part_too_large",
    )


def _check_package(data: bytes, limits: Limits, *, row_limit: int) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise unreadable() from exc
    with archive:
        members = archive.infolist()
        _check_declared(members, limits)
        scan = _Scan(limits, row_limit=row_limit)
        unpacked = 0
        for info in members:
            unpacked += _unpack(archive, info, scan, limits, unpacked=unpacked)
        scan.finish()


def _check_declared(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    """What the zip's directory says, before one byte is unpacked."""
    if len(members) > MAX_MEMBERS:
        raise ValidationError(
            _(
                "This workbook holds %(count)s parts; the limit is %(limit)s. Keep only the "
                "template's sheets, without pictures."
            )
            % {"count": len(members), "limit": MAX_MEMBERS},
            code="members",
        )
    total = 0
    for info in members:
        # Excel deflates; other methods (bzip2, lzma) would unpack without a bound per call.
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise unreadable()
        if info.flag_bits & 0x1:  # encrypted
            raise unreadable()
        if info.file_size > limits.max_part_bytes:
            raise _part_too_large(info.filename, limits)
        total += info.file_size
        if total > limits.max_unzipped_bytes:
            raise _unpacks_too_large(limits)
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_FROM_BYTES and ratio > MAX_RATIO:
            raise ValidationError(
                _(
                    "A part of this workbook (%(part)s) unpacks to %(ratio)s times its packed "
                    "size, which real data never does, and is refused as unsafe."
                )
                % {"part": info.filename[:100], "ratio": int(ratio)},
                code="ratio",
            )


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, scan: _Scan, limits: Limits, *,
            unpacked: int) -> int:  # fmt: skip
    """Unpack one member in chunks under a hard cap, scanning it as XML; its size."""
    size = 0
    parser = scan.parser()
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limits.max_part_bytes:
                    raise _part_too_large(info.filename, limits)
                if unpacked + size > limits.max_unzipped_bytes:
                    raise _unpacks_too_large(limits)
                if parser is not None:
                    parser = _feed(parser, chunk)
            if parser is not None and size:
                _feed(parser, b"", final=True)
    except ValidationError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        # A damaged member, or one whose checksum fails because its header lied about its size.
        raise unreadable() from exc
    return size


def _feed(parser, chunk: bytes, *, final: bool = False):
    """Feed the member's scanner. Where a member stops being XML (a picture, a damaged part),
    it is no longer scanned: openpyxl, parsing with the same expat, would stop at the same byte
    (and refuse the file if it needs that part), having built no more than was weighed."""
    try:
        parser.Parse(chunk, final)
    except pyexpat.ExpatError:
        return None
    return parser


class _Scan:
    """What openpyxl would build from the XML parts, weighed as they stream through expat."""

    def __init__(self, limits: Limits, *, row_limit: int) -> None:
        self.limits = limits
        self.row_limit = row_limit
        self.max_weight = 4 * row_limit * limits.max_columns + SPARE_WEIGHT
        self.weight = self.strings = self.cells = 0
        self.row = self.row_cells = 0

    def parser(self):
        """A parser for the next member (its rows are numbered from 1)."""
        parser = pyexpat.ParserCreate(namespace_separator=" ")
        parser.StartElementHandler = self._start
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._doctype
        self.row = self.row_cells = 0
        return parser

    def finish(self) -> None:
        """After the last member: shared strings no cell can use are refused too."""
        if self.strings > self.cells + SPARE_STRINGS:
            raise self._too_heavy()

    def _too_heavy(self) -> ValidationError:
        return ValidationError(
            _(
                "This workbook holds more content than %(rows)s rows of %(columns)s columns "
                "can need, and is refused. Keep only the template's sheets, without pictures."
            )
            % {"rows": self.limits.max_rows, "columns": self.limits.max_columns},
            code="too_heavy",
        )

    def _doctype(self, *args) -> None:
        raise ValidationError(
            _(
                "This workbook contains XML declarations (a DTD) that Excel never writes, and is "
                "refused as unsafe."
            ),
            code="dtd",
        )

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self.weight += 1 if name in DATA else OTHER_WEIGHT
        if self.weight > self.max_weight:
            raise self._too_heavy()
        if name == ROW:
            self._start_row(attrs.get("r"))
        elif name == CELL:
            self.cells += 1
            self.row_cells += 1
            if self.row_cells > self.limits.max_columns:
                raise ValidationError(
                    _(
                        "Row %(row)s has more than %(max)s columns; the limit is %(max)s. Delete "
                        "the cells right of the template's columns."
                    )
                    % {"row": self.row, "max": self.limits.max_columns},
                    code="too_many_columns",
                )
        elif name == STRING:
            self.strings += 1
        elif name in VALUES and self.row > self.row_limit:
            raise too_many_rows(self.limits)

    def _start_row(self, number: str | None) -> None:
        # Numbered as openpyxl numbers rows: by `r`, or one after the last.
        try:
            row = int(float(number)) if number is not None else self.row + 1
        except (ValueError, OverflowError) as exc:
            raise unreadable() from exc
        # Excel writes rows in order; a row repeated or out of order would be parsed by openpyxl
        # and then dropped, so a sheet of them would cost without end.
        if row <= self.row:
            raise unreadable()
        self.row, self.row_cells = row, 0


# --- 3. the sheet --------------------------------------------------------------------------------


def _read_sheet(upload: Upload, data: bytes, *, sheet: Sheet, limits: Limits,
                row_limit: int) -> None:  # fmt: skip
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on styles and extensions
            workbook = load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise unreadable() from exc
    try:
        _read_rows(upload, workbook, sheet=sheet, limits=limits, row_limit=row_limit)
    except ValidationError:
        raise
    except Exception as exc:  # a damaged sheet inside a valid zip
        raise unreadable() from exc
    finally:
        workbook.close()


def _read_rows(upload: Upload, workbook, *, sheet: Sheet, limits: Limits,
               row_limit: int) -> None:  # fmt: skip
    if sheet.title in workbook.sheetnames:
        worksheet = workbook[sheet.title]
    elif workbook.worksheets:
        worksheet = workbook.worksheets[0]
    else:
        raise unreadable()
    headers: dict[int, str] = {}
    too_long: list[str] = []
    lines = worksheet.iter_rows(
        min_row=1, max_row=row_limit, max_col=limits.max_columns, values_only=True
    )
    for number, values in enumerate(lines, start=1):
        too_long.extend(_too_long(number, values, headers, limits))
        for name, (row, column) in sheet.target_cells.items():
            if number == row:
                upload.cells[name] = code_text(values[column - 1])
        if number == sheet.header_row:
            headers = {i: str(v).strip() for i, v in enumerate(values) if v is not None}
        elif number >= sheet.first_row and any(code_text(v) for v in values):
            upload.rows.append(
                (number, {headers[i]: v for i, v in enumerate(values) if i in headers})
            )
            if len(upload.rows) > limits.max_rows:
                raise too_many_rows(limits)
    if too_long:
        shown = too_long[:SHOWN_PROBLEMS]
        if len(too_long) > SHOWN_PROBLEMS:
            shown.append(
                _("… and %(count)s more cells over the limit.")
                % {"count": len(too_long) - SHOWN_PROBLEMS}
            )
        raise ValidationError(shown, code="text_too_long")
    sheet.check_layout(upload, headers=set(headers.values()))


def _too_long(number: int, values: tuple, headers: dict[int, str], limits: Limits) -> list[str]:
    """Every text cell of the row longer than the free-text limit, named by row and column, in
    the words the forms and the API use."""
    problems = []
    for index, value in enumerate(values):
        if isinstance(value, str) and len(value) > limits.text_max_length:
            try:
                MaxLengthValidator(limits.text_max_length)(value)
            except ValidationError as exc:
                column = headers.get(index) or get_column_letter(index + 1)
                problems.extend(problem_text(number, column, m) for m in exc.messages)
    return problems
