"""Reading the one XML part a Word form lives in, under limits, without trusting the package.

A .docx is a zip of XML parts. A form is read from its main document part alone (normally
``word/document.xml``, named by the package's relationships), so nothing else in the package —
images, fonts, embedded files — is ever inflated. That part is inflated through
:func:`~intake.documents.containers.read_member` (its real size and ratio are capped while it
streams, whatever the zip directory declares) and parsed by a parser that loads no DTD, expands
no entity, reaches no network and refuses nesting deeper than libxml2's default of 256 levels.
A part that declares a DTD at all is refused: Word never writes one, and an entity bomb needs one.
"""

from __future__ import annotations

import io
import zipfile
from posixpath import join, normpath

from lxml import etree

from intake.documents.containers import ContainerLimits, check_declared, read_member
from intake.errors import DocumentError

STRICT_MESSAGE = "Strict Open XML documents are not supported; ask for a normal .docx"
_RELS = "_rels/.rels"
_INDEX_CAP = 512 * 1024
_OFFICE_DOCUMENT = "/officeDocument"
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_PARSER = etree.XMLParser(
    resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, dtd_validation=False
)


def read_main_part(data: bytes, limits: ContainerLimits = ContainerLimits()) -> etree._Element:
    """The root element of the package's main document part.

    Raises :class:`DocumentError` in plain words (not a .docx, damaged, Strict OOXML, macros, a
    DTD, XML that does not parse) and :class:`~intake.errors.LimitExceeded` when the part is
    bigger than ``limits.max_xml_bytes`` or inflates faster than ``limits.max_ratio``.
    """
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise DocumentError("not a .docx: an encrypted Word file or an old binary Word 97-2003 document")
    if data[:4] != b"PK\x03\x04":
        raise DocumentError("not a Word .docx file")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _main_part(archive, limits)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, ValueError) as exc:
        raise DocumentError(f"damaged .docx (the zip cannot be read: {exc})") from None


def _main_part(archive: zipfile.ZipFile, limits: ContainerLimits) -> etree._Element:
    if len(archive.infolist()) > limits.max_members:
        raise DocumentError(
            f"the .docx holds more than {limits.max_members:,} parts (limits.max_zip_members)"
        )
    types = _small_part(archive, "[Content_Types].xml", limits)
    if b"macroEnabled" in types:
        raise DocumentError("macro-enabled Word document (.docm): not opened")
    rels = _small_part(archive, _RELS, limits)
    if b"purl.oclc.org/ooxml" in rels:
        raise DocumentError(STRICT_MESSAGE)
    name = _main_part_name(rels)
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise DocumentError(f"the .docx has no main document part ({name})") from None
    what = f"the document's text ({name})"
    check_declared(info, cap=limits.max_xml_bytes, limits=limits, what=what, key="limits.max_xml_mb")
    xml = read_member(
        lambda: archive.open(info),
        info,
        cap=limits.max_xml_bytes,
        limits=limits,
        what=what,
        key="limits.max_xml_mb",
    )
    return parse_xml(xml, what)


def _small_part(archive: zipfile.ZipFile, name: str, limits: ContainerLimits) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return b""
    cap = min(_INDEX_CAP, limits.max_xml_bytes)
    return read_member(lambda: archive.open(info), info, cap=cap, limits=limits, what=name)


def _main_part_name(rels: bytes) -> str:
    """The target of the officeDocument relationship, as a name inside the zip."""
    if rels:
        root = parse_xml(rels, _RELS)
        for rel in root.iter(f"{_REL_NS}Relationship"):
            if (rel.get("Type") or "").endswith(_OFFICE_DOCUMENT) and rel.get("Target"):
                target = rel.get("Target", "").lstrip("/")
                return normpath(join("", target)).lstrip("/")
    return "word/document.xml"


def parse_xml(xml: bytes, what: str) -> etree._Element:
    """Parse one part: no DTD, no entities, no network, bounded depth."""
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise DocumentError(f"{what} declares a DTD or entities, which Word never writes: not opened")
    try:
        return etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"{what} is not well-formed XML or is nested too deeply ({exc})") from None
