"""Attachments: type by content, size limits, broken files, safe names and local storage."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from services.files.checking import ALLOWED_TYPES, CheckedFile, FileRejected, check_total, check_upload, safe_filename
from services.files.storage import KEY_PATTERN, LocalStorage, storage_from_config
from tests.fixtures.files import make_docx, make_legacy_word, make_odt, make_pdf, make_png, make_wav

MB = 1024 * 1024
LIMIT = 10 * MB


SAMPLES = {
    "pdf": (make_pdf, "application/pdf"),
    "png": (make_png, "image/png"),
    "docx": (make_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "odt": (make_odt, "application/vnd.oasis.opendocument.text"),
    "wav": (make_wav, "audio/x-wav"),
    "doc": (make_legacy_word, "application/msword"),
}


def rejected(data: bytes, filename: str | None = "upload", max_bytes: int = LIMIT) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        check_upload(data, filename, max_bytes=max_bytes)
    return caught.value


# Content checks


@pytest.mark.parametrize("extension", sorted(SAMPLES))
def test_each_sample_is_detected_by_its_content(extension: str) -> None:
    build, mime = SAMPLES[extension]
    data = build()
    checked = check_upload(data, f"evidence.{extension}", max_bytes=LIMIT)
    assert isinstance(checked, CheckedFile)
    assert checked.content_type == mime
    assert checked.extension == extension == ALLOWED_TYPES[mime]
    assert checked.filename == f"evidence.{extension}"
    assert checked.data == data
    assert checked.size == len(data)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize("extension", sorted(SAMPLES))
def test_the_name_given_does_not_decide_the_type(extension: str) -> None:
    build, mime = SAMPLES[extension]
    assert check_upload(build(), None, max_bytes=LIMIT).content_type == mime
    assert check_upload(build(), "no-extension", max_bytes=LIMIT).content_type == mime


def test_a_pdf_named_jpg_is_stored_as_pdf_under_a_corrected_name() -> None:
    checked = check_upload(make_pdf(), "scan.jpg", max_bytes=LIMIT)
    assert (checked.content_type, checked.extension, checked.filename) == ("application/pdf", "pdf", "scan.pdf")


def test_an_unknown_suffix_is_kept_and_the_extension_appended() -> None:
    assert check_upload(make_pdf(), "report v1.2", max_bytes=LIMIT).filename == "report v1.2.pdf"
    assert check_upload(make_png(), "photo.JPEG.png", max_bytes=LIMIT).filename == "photo.JPEG.png"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200), id="exe"),
        pytest.param(b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>", id="html"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', id="svg"),
        pytest.param(b"just some plain text\n", id="text"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), id="bare-ole"),
    ],
)
def test_types_off_the_allow_list_are_refused(data: bytes) -> None:
    error = rejected(data, "harmless.pdf")
    assert error.reason == "type_not_allowed"
    assert error.status == 422
    assert "not accepted" in str(error.message)


def test_a_plain_zip_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", b"MZ")
    assert rejected(buffer.getvalue(), "report.docx").reason == "type_not_allowed"


def test_an_empty_file_is_refused() -> None:
    error = rejected(b"", "empty.pdf")
    assert (error.reason, error.status) == ("empty", 422)
    assert str(error.message) == "The file is empty: choose the file again and upload it."


def test_a_file_over_the_limit_is_refused_with_413() -> None:
    data = make_pdf()
    assert check_upload(data, "fits.pdf", max_bytes=len(data)).size == len(data)
    error = rejected(data + b"\n", "big.pdf", max_bytes=len(data))
    assert (error.reason, error.status) == ("too_large", 413)
    assert f"larger than {len(data):,} bytes" in str(error.message)
    error = rejected(b"%PDF-" + bytes(LIMIT), "big.pdf")
    assert str(error.message) == "The file is larger than 10 MB: upload a smaller file."


def test_a_truncated_docx_is_refused_as_broken() -> None:
    data = make_docx()
    truncated = data[: len(data) - 40]
    error = rejected(truncated, "letter.docx")
    assert (error.reason, error.status) == ("broken", 422)
    assert "damaged" in str(error.message)


def test_a_docx_with_a_corrupt_local_header_is_refused_as_broken() -> None:
    data = bytearray(make_docx())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        offset = archive.getinfo("docProps/app.xml").header_offset
    data[offset : offset + 4] = b"XXXX"
    assert rejected(bytes(data), "letter.docx").reason == "broken"


def test_a_truncated_odt_is_refused_as_broken() -> None:
    data = make_odt()
    assert rejected(data[: len(data) // 2], "letter.odt").reason == "broken"


def test_a_truncated_pdf_is_refused_as_broken() -> None:
    data = make_pdf()
    truncated = data[: data.index(b"xref")]
    assert rejected(truncated, "scan.pdf").reason == "broken"


# Names


def test_a_persian_name_is_kept() -> None:
    assert check_upload(make_pdf(), "شکایت.pdf", max_bytes=LIMIT).filename == "شکایت.pdf"
    # The zero-width non-joiner is part of Persian spelling.
    assert safe_filename("نامه\u200cها.pdf", "pdf") == "نامه\u200cها.pdf"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("..\\..\\windows\\system32\\config.sys", "config.sys.pdf"),
        ("/var/www/../shell.php", "shell.pdf"),
        ("..", "file.pdf"),
        ("", "file.pdf"),
        (None, "file.pdf"),
        ("   ", "file.pdf"),
        (".hidden", "hidden.pdf"),
        ("a\x00b\r\nc\x1b.pdf", "abc.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.pdf"),
        ('what?*:"<>|.pdf', "what_______.pdf"),
    ],
)
def test_names_are_made_safe(given: str | None, expected: str) -> None:
    assert safe_filename(given, "pdf") == expected


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = safe_filename("ش" * 500 + ".pdf", "pdf")
    assert len(name) == 200
    assert name.endswith(".pdf")


def test_an_alternative_spelling_of_the_extension_is_kept() -> None:
    assert safe_filename("photo.JPEG", "jpg") == "photo.JPEG"
    assert safe_filename("photo.png", "jpg") == "photo.jpg"


# Totals


def test_check_total() -> None:
    check_total(4 * MB, 6 * MB, max_total=10 * MB)
    check_total(0, 0, max_total=10 * MB)
    with pytest.raises(FileRejected) as caught:
        check_total(int(9.5 * MB), MB, max_total=10 * MB)
    error = caught.value
    assert (error.reason, error.status) == ("too_large_total", 413)
    assert str(error.message) == (
        "This complaint already holds 9.5 MB of files and the limit is 10 MB: upload a smaller file."
    )


# Local storage


def test_local_storage_round_trip(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "uploads")
    data = make_pdf()
    key = storage.put(data)
    assert KEY_PATTERN.fullmatch(key)
    assert storage.exists(key)
    with storage.open(key) as handle:
        assert handle.read() == data
    storage.delete(key)
    assert not storage.exists(key)
    storage.delete(key)  # deleting twice is not an error
    with pytest.raises(FileNotFoundError):
        storage.open(key)


def test_local_storage_writes_into_a_fan_out_with_no_temporary_left(tmp_path: Path) -> None:
    root = tmp_path / "uploads"
    storage = LocalStorage(root)
    keys = {storage.put(b"%d" % number) for number in range(5)}
    assert len(keys) == 5
    for key in keys:
        path = root / key[:2] / key
        assert path.is_file()
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    stored = [path for path in root.rglob("*") if path.is_file()]
    assert sorted(path.name for path in stored) == sorted(keys)


def test_local_storage_stores_empty_and_binary_data(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    for data in (b"", bytes(range(256)) * 10):
        with storage.open(storage.put(data)) as handle:
            assert handle.read() == data


@pytest.mark.parametrize(
    "key",
    ["../x", "a/b", "..", "", "a" * 31, "a" * 33, "../" + "a" * 29, "a" * 31 + "/", "a" * 31 + ".", "ab\\" + "c" * 29],
)
def test_local_storage_refuses_keys_it_did_not_make(tmp_path: Path, key: str) -> None:
    storage = LocalStorage(tmp_path / "uploads")
    (tmp_path / "x").write_bytes(b"secret")
    for operation in (storage.open, storage.delete, storage.exists):
        with pytest.raises(ValueError, match="storage key"):
            operation(key)
    assert (tmp_path / "x").read_bytes() == b"secret"


def test_storage_from_config(tmp_path: Path) -> None:
    from_url = storage_from_config(f"file://{tmp_path}/uploads")
    assert isinstance(from_url, LocalStorage)
    assert from_url.root == (tmp_path / "uploads").resolve()
    from_path = storage_from_config(str(tmp_path / "other"))
    assert isinstance(from_path, LocalStorage)
    assert from_path.root == (tmp_path / "other").resolve()
    for unsupported in ("s3://bucket/prefix", "http://example.com/x", "file://remote-host/x", "file:relative", ""):
        with pytest.raises(ValueError, match="storage"):
            storage_from_config(unsupported)
