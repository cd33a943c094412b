"""The workbook's zip archive made reproducible: the writer (rust_xlsxwriter) stamps the core
properties with the time of writing and the entries with its own modes; ``rezip`` puts the
data's date and fixed values in their place. Only headers are written anew: each entry's
compressed contents are copied as they are."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from xml.sax.saxutils import escape

from ..config import PublishRefused

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def core_properties(title: str, stamp: dt.datetime) -> bytes:
    """The core properties: the title, bangfu as author, and ``stamp`` (UTC) as created and
    modified (the writer would put the time of writing)."""
    when = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    title = escape(title)  # the caller has replaced what XML cannot hold
    typed = f'xsi:type="dcterms:W3CDTF">{when}'
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<cp:coreProperties {_CORE_NS}><dc:title>{title}</dc:title>"
        "<dc:creator>bangfu</dc:creator><cp:lastModifiedBy>bangfu</cp:lastModifiedBy>"
        f"<dcterms:created {typed}</dcterms:created><dcterms:modified {typed}</dcterms:modified>"
        "</cp:coreProperties>"
    ).encode()


_CORE_NS = " ".join(
    f'xmlns:{k}="{v}"'
    for k, v in (
        ("cp", "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"),
        ("dc", "http://purl.org/dc/elements/1.1/"),
        ("dcterms", "http://purl.org/dc/terms/"),
        ("dcmitype", "http://purl.org/dc/dcmitype/"),
        ("xsi", "http://www.w3.org/2001/XMLSchema-instance"),
    )
)
_CORE = b"docProps/core.xml"
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")


def _layout(what: str) -> PublishRefused:
    """The refusal for an archive not laid out as ``rezip`` expects (only if the writer's
    version changes): nothing is published, and the message says why."""
    return PublishRefused(
        f"Excel 工作簿的压缩包结构与预期不同（{what}），无法写成逐字节可重现的文件，"
        "未发布；请检查 rustpy-xlsxwriter 的版本是否与 pyproject.toml 中固定的一致"
    )


def rezip(data: bytes, core: bytes) -> bytes:
    """The writer's archive with ``core`` as its core properties, every entry's time
    ``ZIP_TIME`` and mode 0644, and no data descriptors. The entries' compressed contents are
    copied as they are (their checksums stay right); only the headers are written anew."""
    y, mo, d, h, mi, s = ZIP_TIME
    tm, dm = (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d
    end = len(data) - _END.size  # the writer puts no archive comment
    if end < 0 or data[end : end + 4] != b"PK\x05\x06":
        raise _layout("结尾记录不在文件末尾")
    count, offset = _END.unpack_from(data, end)[4], _END.unpack_from(data, end)[6]
    out, central, seen = bytearray(), bytearray(), False
    for _ in range(count):
        (sig, made, need, flag, method, _t, _d, crc, csize, usize, nlen, xlen, clen, _disk,
         iattr, _eattr, local) = _CENTRAL.unpack_from(data, offset)  # fmt: skip
        if sig != 0x02014B50 or xlen or clen or 0xFFFFFFFF in (csize, usize, local):
            raise _layout("目录项有附加字段或为 ZIP64")
        name = bytes(data[offset + 46 : offset + 46 + nlen])
        lsig, *_, lnlen, lxlen = _LOCAL.unpack_from(data, local)
        if lsig != 0x04034B50:
            raise _layout("目录项指向的不是文件头")
        start = local + _LOCAL.size + lnlen + lxlen
        body = data[start : start + csize]
        if name == _CORE:
            seen, packer = True, zlib.compressobj(6, zlib.DEFLATED, -15)
            body = packer.compress(core) + packer.flush()
            crc, csize, usize, method = zlib.crc32(core), len(body), len(core), 8
        flag &= ~0x08  # sizes and checksum in the header, no descriptor after the data
        at = len(out)
        out += _LOCAL.pack(0x04034B50, need, flag, method, tm, dm, crc, csize, usize, nlen, 0)
        out += name + body
        central += _CENTRAL.pack(0x02014B50, made, need, flag, method, tm, dm, crc, csize,
                                 usize, nlen, 0, 0, 0, iattr, 0o644 << 16, at) + name  # fmt: skip
        offset += _CENTRAL.size + nlen
    if not seen:
        raise _layout("没有 docProps/core.xml")
    at = len(out)
    out += central + _END.pack(0x06054B50, 0, 0, count, count, len(central), at, 0)
    return bytes(out)
