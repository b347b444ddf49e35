"""The base's bounded Excel reader (portal.excel), tried as a hostile user would.

Each hostile file is built here, small on disk: shared strings that unpack to 200 MiB, a
workbook of whitespace that unpacks to 256 MiB, 1,000 rows of 16,384 cells without `r=`
attributes, a text cell of 100 MiB and one just over the limit, a header that lies about its
size, a DTD. Each is refused with a message for the file field, in little memory (tracemalloc),
and nothing is stored; the ordinary template still reads. Speed is for the benchmarks, so no
test here times anything.
"""

import functools
import io
import struct
import tracemalloc
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.excel.reader import Limits
from portal.excel.sheet import AMOUNT, PERCENT, Column, Sheet
from portal.limits import text_length_validator, text_max_length
from reporting.excel import EXPLANATION, INVESTMENT
from reporting.excel import SHEET as REPORT_SHEET
from reporting.models import ReportImport
from tests.factories import ProgressReportFactory, ReportingPeriodFactory

MiB = 2**20
# What reading a refused file may allocate at its peak (the file itself is about 0.5 MB).
PEAK = 8 * MiB
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class LedgerSheet(Sheet):
    """A sheet of no app: B1 names the ledger, row 3 the headers, rows from 4."""

    title = "台账"
    target_cells = {"ledger": (1, 2)}
    target_labels = {"ledger": "Ledger"}
    key = Column("编号")
    columns = [
        key,
        Column("金额（万元）", field="amount", kind=AMOUNT),
        Column("说明", field="remark"),
    ]


SHEET = LedgerSheet()


# --- building files ------------------------------------------------------------------------------


def _cell(text: str) -> bytes:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _row(*texts: str) -> bytes:
    return b"<row>" + b"".join(_cell(t) for t in texts) + b"</row>"


def _good_rows() -> list[bytes]:
    return [
        _row("Ledger", "L-1"),
        _row(),
        _row("编号", "金额（万元）", "说明"),
        _row("C-1", "12.5", "首付款"),
    ]


def _repeat(unit: bytes, size: int) -> Iterator[bytes]:
    """About `size` bytes of `unit` repeated, in 1 MiB chunks."""
    chunk = unit * (MiB // len(unit))
    for _ in range(size // len(chunk)):
        yield chunk


def _package(rows: Iterable[bytes], *, strings: Iterable[bytes] | None = None,
             doctype: bytes = b"", extra: int = 0) -> bytes:  # fmt: skip
    """A minimal .xlsx of one sheet, its parts streamed into the zip (a 200 MiB part is never
    in memory whole)."""
    buffer = io.BytesIO()
    overrides = (
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/>'
    )
    relations = (
        f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    )
    if strings is not None:
        overrides += (
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxml'
            'formats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
        relations += (
            f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
        )
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f"{overrides}</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets><sheet name="台账" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{RELS}">{relations}</Relationships>',
        )
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
            for row in rows:
                part.write(row)
            part.write(b"</sheetData></worksheet>")
        if strings is not None:
            with archive.open("xl/sharedStrings.xml", "w") as part:
                part.write(doctype + f'<sst xmlns="{MAIN}">'.encode())
                for chunk in strings:
                    part.write(chunk)
                part.write(b"</sst>")
        for number in range(extra):
            archive.writestr(f"xl/media/image{number}.png", b"")
    return buffer.getvalue()


@functools.cache
def shared_strings_bomb() -> bytes:
    """Shared strings that unpack to 200 MiB."""
    return _package(_good_rows(), strings=_repeat(b"<si><t>x</t></si>", 200 * MiB))


@functools.cache
def whitespace_bomb() -> bytes:
    """A sheet of 256 MiB of whitespace between its rows."""
    return _package([*_good_rows(), *_repeat(b" ", 256 * MiB)])


@functools.cache
def wide_rows() -> bytes:
    """1,000 rows of 16,384 cells, without `r=` attributes."""
    row = b"<row>" + b"<c><v>1</v></c>" * 16_384 + b"</row>"
    return _package([*_good_rows(), *(row for _ in range(1000))])


@functools.cache
def huge_text() -> bytes:
    """One text cell of 100 MiB."""
    cell = [b'<row><c t="inlineStr"><is><t>', *_repeat(b"x", 100 * MiB), b"</t></is></c></row>"]
    return _package([*_good_rows(), *cell])


def _lying_about_size(content: bytes, name: str, size: int) -> bytes:
    """`content` with `name`'s uncompressed size declared as `size` (local and central headers)."""
    data = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        local = archive.getinfo(name).header_offset
    struct.pack_into("<I", data, local + 22, size)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + length] == name.encode():
            struct.pack_into("<I", data, central + 24, size)
            return bytes(data)
        central = data.find(b"PK\x01\x02", central + 1)
    raise AssertionError(f"{name} is not in the central directory")


def _read(content: bytes, *, name: str = "file.xlsx", sheet: Sheet = SHEET, **limits):
    """The reader's verdict on `content` (the upload, or the messages it refuses with) and the
    peak memory it took."""
    settings_limits = Limits.from_settings()
    bounded = Limits(**{**settings_limits.__dict__, **limits})
    uploaded = SimpleUploadedFile(name, content, content_type=XLSX)
    tracemalloc.start()
    try:
        verdict = sheet.read(uploaded, limits=bounded)
    except ValidationError as exc:
        verdict = exc.messages
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return verdict, peak


def _refused(content: bytes, message: str, **limits) -> None:
    verdict, peak = _read(content, **limits)
    assert isinstance(verdict, list), "the file was accepted"
    assert any(message in text for text in verdict), verdict
    assert peak < PEAK, f"peak {peak / MiB:.1f} MiB"


# --- the reader ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def test_it_reads_an_ordinary_file():
    upload, _peak = _read(_package(_good_rows()))
    assert upload.cells == {"ledger": "L-1"}
    assert upload.rows == [(4, {"编号": "C-1", "金额（万元）": "12.5", "说明": "首付款"})]
    assert len(upload.sha256) == 64


def test_it_reads_shared_strings_and_the_template_openpyxl_writes():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "台账"
    sheet["A1"], sheet["B1"] = "Ledger", "L-9"
    sheet.append([])
    sheet.append(["编号", "金额（万元）", "说明"])
    sheet.append(["C-1", 3, "x" * text_max_length()])  # at the limit: accepted
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload, _peak = _read(buffer.getvalue())
    assert upload.cells == {"ledger": "L-9"}
    assert upload.rows == [(4, {"编号": "C-1", "金额（万元）": 3, "说明": "x" * text_max_length()})]


@pytest.mark.parametrize(
    "build",
    [shared_strings_bomb, whitespace_bomb, wide_rows, huge_text],
    ids=[
        "200 MiB of shared strings",
        "256 MiB of whitespace",
        "1,000 rows of 16,384 cells",
        "a text cell of 100 MiB",
    ],
)
def test_it_refuses_a_file_small_on_disk_that_unpacks_huge_before_unpacking_it(build):
    content = build()
    assert len(content) < MiB
    _refused(content, "unpacks to more than 12 MB")


def test_it_refuses_whitespace_packed_tighter_than_real_data_even_under_the_size_limits():
    _refused(_package([*_good_rows(), *_repeat(b" ", 4 * MiB)]), "times its packed size")


def test_it_refuses_what_unpacks_past_the_total_though_each_part_is_small():
    content = _package([*_good_rows(), *_repeat(b"<row/>", 2 * MiB)])
    _refused(content, "This workbook unpacks to more than 1 MB", max_unzipped_bytes=MiB)


def test_it_refuses_a_row_wider_than_the_columns_read_at_its_first_extra_cell():
    """Within the size limits, the scan stops at the 31st cell: nothing iterates 16,384."""
    row = b"<row>" + b"".join(f"<c><v>{n}</v></c>".encode() for n in range(16_384)) + b"</row>"
    content = _package([*_good_rows(), row])
    _refused(content, "Row 5 has more than 30 columns; the limit is 30.")


def test_it_names_each_text_cell_over_the_limit_by_row_and_column():
    over = "长" * (text_max_length() + 1)
    content = _package([*_good_rows(), _row("C-2", "1", over)])
    verdict, peak = _read(content)
    assert verdict == [
        f"Row 5 “说明”: Ensure this value has at most {text_max_length()} characters "
        f"(it has {text_max_length() + 1})."
    ]
    assert peak < PEAK
    # A cell right of the headers is named by its letter.
    verdict, _peak = _read(_package([*_good_rows(), _row("C-2", "1", "", "x" * 11)]),
                           text_max_length=10)  # fmt: skip
    assert verdict == ["Row 5 “D”: Ensure this value has at most 10 characters (it has 11)."]


def test_it_refuses_a_header_that_lies_about_its_size():
    honest = _package([*_good_rows(), *_repeat(b"<row/>", 8 * MiB)])
    _refused(_lying_about_size(honest, "xl/worksheets/sheet1.xml", 1000), "cannot be read")


def test_it_refuses_a_dtd_before_any_entity_expands():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    )
    content = _package(_good_rows(), strings=[b"<si><t>&c;</t></si>"], doctype=laughs)
    _refused(content, "a DTD")


def test_it_refuses_rows_below_the_last_one_read():
    rows = [*_good_rows(), *(_row(f"C-{n}") for n in range(1100))]
    _refused(_package(rows), "more than 5 rows", max_rows=5)  # read up to row 3 + 5 + 1000
    _refused(_package([*_good_rows(), *(_row(f"C-{n}") for n in range(6))]),
             "more than 5 rows", max_rows=5)  # fmt: skip


def test_it_refuses_more_elements_than_rows_and_columns_can_need():
    strings = (f"<si><t>{n}</t></si>".encode() for n in range(60_000))
    _refused(_package(_good_rows(), strings=strings), "more content than 5 rows of 3 columns",
             max_rows=5, max_columns=3)  # fmt: skip
    # Elements openpyxl builds objects of (merged cells, styles...) weigh more than cells.
    merged = b"".join(f'<mergeCell ref="A{n}:B{n}"/>'.encode() for n in range(1, 30_000))
    content = _package([*_good_rows(), b"</sheetData><mergeCells>", merged, b"</mergeCells>"
                        b"<sheetData>"])  # fmt: skip
    _refused(content, "more content than 2000 rows of 30 columns")


def test_it_refuses_shared_strings_that_no_cell_can_use():
    strings = (f"<si><t>{n}</t></si>".encode() for n in range(5_000))
    _refused(_package(_good_rows(), strings=strings), "more content than")


def test_it_refuses_rows_repeated_or_out_of_order():
    row = b'<row r="5">' + _cell("C-2") + b"</row>"
    _refused(_package([*_good_rows(), *(row for _ in range(3))]), "cannot be read")


def test_it_refuses_a_package_of_too_many_parts():
    _refused(_package(_good_rows(), extra=1000), "the limit is 1000")


@pytest.mark.parametrize(
    "content",
    [b"", b"not a workbook", b"PK\x03\x04broken zip", _package(_good_rows())[:-300]],
    ids=["empty", "text", "broken header", "cut short"],
)
def test_it_refuses_what_is_not_a_zip_or_a_damaged_one(content):
    _refused(content, "cannot be read as an Excel workbook")


def test_it_refuses_a_file_over_the_size_limit_before_opening_it():
    _refused(_package(_good_rows()), "the limit is 1 KB", max_bytes=1024)


def test_it_takes_its_limits_from_the_settings(settings):
    settings.PORTAL = {**settings.PORTAL, "EXCEL_MAX_COLUMNS": 2, "TEXT_MAX_LENGTH": 4}
    limits = Limits.from_settings()
    assert (limits.max_columns, limits.text_max_length) == (2, 4)
    uploaded = SimpleUploadedFile("file.xlsx", _package(_good_rows()), content_type=XLSX)
    with pytest.raises(ValidationError, match="has more than 2 columns"):
        SHEET.read(uploaded)


def test_it_reads_numbers_as_typed_and_never_overflows():
    amount = Column("金额", field="amount", kind=AMOUNT)
    assert amount.parse("１２，３４５．６７８９") == Decimal("123456789.00")
    assert amount.parse(0.1 + 0.2) == Decimal("3000.00")  # what Excel shows, in yuan
    assert amount.parse("1e999") == Decimal("1e1003")  # the field's max_digits refuses it
    assert Column("%", kind=PERCENT).parse("12.5％") == Decimal("12.5")
    assert amount.parse("  ") is None
    for text in ("一百万", "NaN", "Infinity", "1e999999", True):
        with pytest.raises(ValueError):
            amount.parse(text)


def test_the_text_limit_is_one_number_for_forms_the_api_and_excel(settings):
    settings.PORTAL = {**settings.PORTAL, "TEXT_MAX_LENGTH": 3}
    assert text_max_length() == 3
    text_length_validator("abc")
    with pytest.raises(ValidationError, match="at most 3 characters"):
        text_length_validator("abcd")


# --- at the upload page: a 200 with the message at the file field, nothing stored ----------------


@pytest.fixture
def report(db, infra_project):
    return ProgressReportFactory(
        project=infra_project, period=ReportingPeriodFactory(year=2026, month=11)
    )


def _upload(client, content: bytes, *, name: str = "进度填报.xlsx"):
    return client.post(
        reverse("reporting:excel-upload"),
        {"period": "2026-11", "file": SimpleUploadedFile(name, content, content_type=XLSX)},
    )


def _file_errors(response) -> list[str]:
    assert response.status_code == 200
    assert not ReportImport.objects.exists()
    assert 'data-field-error="file"' in response.content.decode()
    return response.context["form"].errors["file"]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: b"this is not a workbook", "cannot be read as an Excel workbook"),
        (lambda: b"PK\x03\x04broken zip", "cannot be read as an Excel workbook"),
        (lambda: _package(_good_rows())[:-300], "cannot be read as an Excel workbook"),
        (shared_strings_bomb, "unpacks to more than 12 MB"),
        (whitespace_bomb, "unpacks to more than 12 MB"),
        (wide_rows, "unpacks to more than 12 MB"),
        (huge_text, "unpacks to more than 12 MB"),
    ],
    ids=[
        "not a zip",
        "broken zip",
        "cut short",
        "200 MiB strings",
        "whitespace",
        "wide rows",
        "100 MiB text",
    ],
)
def test_the_upload_page_refuses_a_hostile_file_at_the_file_field(
    client_for, report, build, message
):
    [error] = _file_errors(_upload(client_for("reporter"), build()))
    assert message in error


def test_the_upload_page_names_a_text_over_the_limit_and_stores_nothing(client_for, report):
    client = client_for("reporter")
    template = client.get(reverse("reporting:excel-template"), {"period": "2026-11"})
    workbook = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = workbook[REPORT_SHEET.title]
    headers = {cell.value: cell.column for cell in sheet[3]}
    sheet.cell(4, headers[EXPLANATION], "说" * (text_max_length() + 1))
    sheet.cell(4, headers[INVESTMENT], 10)
    buffer = io.BytesIO()
    workbook.save(buffer)
    [error] = _file_errors(_upload(client, buffer.getvalue()))
    assert error.startswith(f"Row 4 “{EXPLANATION}”: Ensure this value has at most 5000 characters")


def test_the_upload_page_still_takes_the_ordinary_template(client_for, report):
    client = client_for("reporter")
    template = client.get(reverse("reporting:excel-template"), {"period": "2026-11"})
    response = _upload(client, template.content)
    assert response.status_code == 302
    batch = ReportImport.objects.get()
    assert [(row["code"], row["state"]) for row in batch.rows] == [("JC-2026-001", "unchanged")]
