"""Reading untrusted QTI safely: XML without DTDs, entities or network, and capped zips.

Every limit ends in `Refused` with a sentence the importer shows as it is; nothing is written
before the whole package has been read.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

from lxml import etree

# One item at most this big (the bank's longest item is a few kilobytes); the manifest, which
# holds every item's metadata (about 3 KB each), at most MAX_MANIFEST_BYTES.
MAX_XML_BYTES = 1024 * 1024
MAX_MANIFEST_BYTES = 8 * 1024 * 1024
# A package: at most this many members and this much once unpacked.
MAX_MEMBERS = 2000
MAX_TOTAL_BYTES = 20 * 1024 * 1024
# A member may not unpack to more than this many times its compressed size (zip bombs).
MAX_RATIO = 200
ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class Refused(Exception):
    """The file cannot be read safely or at all; the message says why, for the user."""


def is_zip(raw: bytes) -> bool:
    return raw[:4] in (ZIP_MAGIC, _EMPTY_ZIP)


_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _too_big(name: str, limit: int) -> Refused:
    return Refused(f"{name} is larger than {limit // 1024} KB; split the package")


def parse_xml(raw: bytes | str, name: str, limit: int = MAX_XML_BYTES) -> etree._Element:
    """Parse one XML document, refusing DTDs, entity declarations and oversized input."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > limit:
        raise _too_big(name, limit)
    if match := _DECLARATION.search(raw):
        line = raw.count(b"\n", 0, match.start()) + 1
        raise Refused(
            f"{name} (line {line}) declares a DOCTYPE or entities, which are refused because they "
            "can read local files or expand into a huge document; remove the declaration"
        )
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        if "Excessive depth" in (exc.msg or ""):
            raise Refused(f"{name}{where} nests elements more than 256 deep; refused") from None
        raise Refused(f"{name}{where} is not well-formed XML: {exc.msg}") from None
    if root is None:
        raise Refused(f"{name} is empty")
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise Refused(f"{name} declares a DOCTYPE, which is refused")
    return root


def safe_member_name(name: str) -> str | None:
    """Return the normalised member path, or None for absolute or escaping (../) names."""
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return None
    normalised = posixpath.normpath(name)
    if normalised.startswith("../") or normalised == ".." or normalised.startswith("/"):
        return None
    return normalised


class Package:
    """The members of a zip that may be read: safe names only, each read within the caps."""

    def __init__(self, raw: bytes) -> None:
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(raw))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
            raise Refused(f"the file is not a readable zip package ({exc})") from None
        if len(infos) > MAX_MEMBERS:
            raise Refused(f"the package has {len(infos)} files; the most is {MAX_MEMBERS}")
        total = sum(info.file_size for info in infos)
        if total > MAX_TOTAL_BYTES:
            raise Refused(
                f"the package unpacks to {total // (1024 * 1024)} MB; "
                f"the most is {MAX_TOTAL_BYTES // (1024 * 1024)} MB"
            )
        self.ignored: list[str] = []
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if info.is_dir():
                continue
            name = safe_member_name(info.filename)
            if name is None:
                self.ignored.append(info.filename)
                continue
            if name.lower().endswith((".zip", ".jar", ".gz", ".tgz", ".7z")):
                raise Refused(
                    f"the package holds another archive ({name}); nested archives are refused"
                )
            self.members.setdefault(name, info)

    def read(self, name: str, limit: int = MAX_XML_BYTES) -> bytes:
        """Return one member's bytes; Refused when it is missing, too big or a bomb."""
        info = self.members.get(name)
        if info is None:
            raise Refused(f"the package has no file {name}")
        if info.file_size > limit:
            raise _too_big(name, limit)
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise Refused(f"{name} is compressed suspiciously well (a zip bomb?); refused")
        try:
            with self._zip.open(info) as handle:
                data = handle.read(limit + 1)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
            raise Refused(f"{name} cannot be unpacked ({exc})") from None
        if len(data) > limit:
            raise _too_big(name, limit)  # the directory lied about the size
        if is_zip(data):
            raise Refused(f"{name} is itself a zip; nested archives are refused")
        return data
