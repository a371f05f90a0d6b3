"""The gettext catalogs of a package (the core or a plugin): extract, update, compile, check.

A package's words are found in its Python code (``_``, ``gettext``, ``ngettext``,
``lazy_gettext`` / ``_l``, ``pgettext``) and its templates under ``templates/``
(``{{ _("...") }}`` and ``{% trans %}`` blocks, trimmed). Its catalogs live in
``<package>/translations/<locale>/LC_MESSAGES/messages.po`` with the compiled ``.mo``
beside them (committed, so a fresh clone or an installed wheel needs no build step).
English is the source language and has no catalog; every other language of
``tenancy.locales.LOCALES`` has one. ``tenantry i18n`` is the command-line face.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from tenantry.tenancy.locales import DEFAULT, LOCALES

DOMAIN = "messages"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "lazy_ngettext": (1, 2)}
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.txt", "jinja2"),
    ("**.py", "python"),
]
#: Templates' {% trans %} blocks are trimmed (whitespace folded), as the app renders them.
OPTIONS = {pattern: {"trimmed": "true"} for pattern, method in METHODS if method == "jinja2"}
#: Not the package's own words: code it writes out for others, its tests' helpers, catalogs.
SKIPPED_DIRECTORIES = frozenset({"scaffold", "testing", "translations", "__pycache__", "tests"})


@dataclass(frozen=True)
class Untranslated:
    locale: str
    msgid: str
    why: str  # "empty" or "fuzzy"


def translations_of(package: Path) -> Path:
    return Path(package) / "translations"


def catalog_path(package: Path, locale: str, suffix: str = ".po") -> Path:
    return translations_of(package) / locale / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def languages() -> list[str]:
    """The locales with a catalog: every language Tenantry speaks but its source, English."""
    return [code for code in LOCALES if code != DEFAULT]


def extract(package: Path) -> Catalog:
    """Every translatable string in ``package``'s code and templates, as a template catalog."""
    package = Path(package).resolve()
    template = Catalog(project=package.name, fuzzy=False)

    def wanted(path: str) -> bool:
        return not (set(Path(path).relative_to(package).parts) & SKIPPED_DIRECTORIES)

    found = extract_from_dir(
        package, METHODS, OPTIONS, KEYWORDS, directory_filter=wanted, comment_tags=("NOTE:",)
    )
    for filename, lineno, message, comments, context in found:
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def write_template(package: Path, target: Path | None = None) -> Path:
    """``extract`` written as a ``.pot`` file (default ``translations/messages.pot``)."""
    target = target or translations_of(package) / f"{DOMAIN}.pot"
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_po(target, extract(package))
    return target


def update(package: Path) -> list[Path]:
    """Merge freshly extracted strings into each language's ``.po`` (created when missing):
    new strings come in empty, vanished ones go obsolete. No fuzzy guesses: a new string
    stays visibly untranslated until someone translates it."""
    template = extract(package)
    written = []
    for code in languages():
        path = catalog_path(package, code)
        if path.exists():
            catalog = _read_po(path, code)
        else:
            catalog = Catalog(locale=Locale.parse(code), project=Path(package).name, fuzzy=False)
            path.parent.mkdir(parents=True, exist_ok=True)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        catalog.obsolete.clear()
        _write_po(path, catalog)
        written.append(path)
    return written


def compile_all(package: Path) -> list[Path]:
    """Write each language's ``.mo`` from its ``.po`` (fuzzy entries are left out)."""
    written = []
    for code in languages():
        path = catalog_path(package, code)
        if not path.exists():
            continue
        target = catalog_path(package, code, ".mo")
        with target.open("wb") as out:
            write_mo(out, _read_po(path, code))
        written.append(target)
    return written


def untranslated(package: Path) -> Iterator[Untranslated]:
    """Entries of the catalogs that a reader would see in English: empty or fuzzy."""
    for code in languages():
        path = catalog_path(package, code)
        if not path.exists():
            yield Untranslated(code, "*", f"no catalog at {path}")
            continue
        for message in _read_po(path, code):
            if not message.id:
                continue  # the header
            plural = isinstance(message.string, tuple | list)
            strings = message.string if plural else (message.string,)
            if not all(strings):
                yield Untranslated(code, _text(message.id), "empty")
            elif message.fuzzy:
                yield Untranslated(code, _text(message.id), "fuzzy")


def missing(package: Path) -> dict[str, list[str]]:
    """Per language: the strings the code uses that its catalog does not hold at all
    (``update`` was not run since they were added)."""
    used = {message.id for message in extract(package) if message.id}
    found: dict[str, list[str]] = {}
    for code in languages():
        path = catalog_path(package, code)
        held = {message.id for message in _read_po(path, code)} if path.exists() else set()
        found[code] = sorted(_text(msgid) for msgid in used - held)
    return found


def stale_compiled(package: Path) -> list[str]:
    """Languages whose committed ``.mo`` does not say what their ``.po`` says."""
    stale = []
    for code in languages():
        po, mo = catalog_path(package, code), catalog_path(package, code, ".mo")
        if not po.exists():
            continue
        if not mo.exists():
            stale.append(code)
            continue
        with mo.open("rb") as handle:
            compiled = _pairs(read_mo(handle))
        source = _pairs(message for message in _read_po(po, code) if not message.fuzzy)
        if compiled != source:
            stale.append(code)
    return stale


def _pairs(messages: Iterable[Message]) -> dict[object, object]:
    """msgid -> translation, plural forms as tuples, however the catalog was read; empty
    ones left out, as compiling leaves them out."""
    return {(m.context, _tupled(m.id)): _tupled(m.string) for m in messages if m.id and m.string}


def _tupled(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _text(msgid: object) -> str:
    return msgid[0] if isinstance(msgid, tuple | list) else str(msgid)


def _read_po(path: Path, code: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


def _write_po(path: Path, catalog: Catalog) -> None:
    """Sorted, without line numbers: a change in a template moves no unrelated lines."""
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=True, include_lineno=False)
    path.write_bytes(out.getvalue())
