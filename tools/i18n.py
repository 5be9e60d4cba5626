"""The book's translations: extract the English messages, update the .po files, check, build.

Run with the project's environment (``make translations`` runs ``update``)::

    .venv/bin/python tools/i18n.py extract        # _build/gettext/<page>.pot from the sources
    .venv/bin/python tools/i18n.py update         # extract, then bring every .po up to date
    .venv/bin/python tools/i18n.py check [PAGE]   # list untranslated and fuzzy messages
    .venv/bin/python tools/i18n.py html [LANG]    # build one translated edition only

The English sources are the only source: each page's messages (paragraphs,
headings, list items, admonitions, captions) are extracted by Sphinx's gettext
builder without executing any notebook, and the translations are kept one file
per page in ``locale/<LANG>/LC_MESSAGES/<page>.po`` (``chapters/05_regression.po``
for ``chapters/05_regression.ipynb``).  ``update`` runs ``sphinx-intl update``:
a new message gets an empty translation, a changed one keeps its old
translation marked fuzzy, until a translator writes the new one.

``html`` builds an edition with ``language = LANG`` into ``_build/html-<folder>``
with the English build's execution cache (the code and the outputs are the
same), then copies it to ``_build/html/<folder>/`` (``zh/`` for ``zh_CN``)
beside the English book.  ``tools/build_book.py`` (``make book``) runs it after
the English build.  Warnings are errors here too.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
LOCALE = ROOT / "locale"
POT_DIR = BUILD / "gettext"
#: The translated editions: Sphinx language -> folder under _build/html.
LANGUAGES = {"zh_CN": "zh"}


def say(msg: str) -> None:
    print(f"[i18n] {msg}", flush=True)


def sphinx_build(builder: str, outdir: Path, doctreedir: Path, overrides: dict, quiet: bool = False) -> int:
    """Run Sphinx on the book as ``jupyter-book build`` does (same _config.yml and _toc.yml), with -W -n."""
    from jupyter_book.sphinx import build_sphinx

    config = {
        "external_toc_path": (ROOT / "_toc.yml").as_posix(),
        "latex_individualpages": False,
        "nitpicky": True,
        **overrides,
    }
    result = build_sphinx(
        ROOT, outdir, noconfig=True, path_config=str(ROOT / "_config.yml"), confoverrides=config,
        doctreedir=doctreedir, builder=builder, warningiserror=True, keep_going=True, quiet=quiet,
    )
    return result if isinstance(result, int) else 1


# ---------------------------------------------------------------------- messages
def extract(quiet: bool = True) -> Path:
    """Write ``_build/gettext/<page>.pot`` for every page; no notebook is executed."""
    if POT_DIR.exists():
        shutil.rmtree(POT_DIR)  # a page that left the book must not keep its .pot
    status = sphinx_build("gettext", POT_DIR, BUILD / ".doctrees-gettext",
                          {"nb_execution_mode": "off", "project": "The backprop book"}, quiet=quiet)
    if status != 0:
        raise SystemExit(f"extracting the messages failed (status {status}); see the warnings above")
    return POT_DIR


#: What a translation keeps exactly as in the English: a MyST role with its
#: target ({doc}`...`, {cite:p}`...`; {term} may show other words, see below),
#: inline maths, inline code, and numbers in the prose.
ROLE = re.compile(r"\{([a-z:]+)\}`([^`]*)`")
MATH = re.compile(r"\$\$?(?:[^$\\]|\\.)+\$\$?")
CODE = re.compile(r"``[^`]+``|`[^`]+`")  # rst ``code`` in docstrings, MyST `code` in pages
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")


def kept_parts(text: str) -> Counter:
    """The parts of a message that its translation must keep unchanged."""
    parts: Counter = Counter()
    for name, target in ROLE.findall(text):
        # {term}`隐藏层 <hidden layer>` and {term}`隐藏层` both link to the glossary entry;
        # a link with its own text, {ref}`符号表 <notation>`, keeps only its target.
        if name == "term":
            parts["{term}`...`"] += 1
        elif target.endswith(">") and " <" in target:
            parts[f"{{{name}}}`... <{target.rsplit(' <', 1)[1]}`"] += 1
        else:
            parts[f"{{{name}}}`{target}`"] += 1
    text = ROLE.sub(" ", text)
    parts.update(MATH.findall(text))
    text = MATH.sub(" ", text)
    parts.update(CODE.findall(text))
    parts.update(NUMBER.findall(CODE.sub(" ", text)))
    return parts


def changed_parts(msgid: str, msgstr: str) -> str:
    """'' if the translation keeps every role, maths, code and number of the English; else what differs."""
    want, got = kept_parts(msgid), kept_parts(msgstr)
    missing, extra = want - got, got - want
    return "; ".join(
        f"{label} {', '.join(repr(p) for p in sorted(parts))}"
        for label, parts in (("lost", missing), ("added", extra)) if parts
    )


def problems(language: str, pot_dir: Path = POT_DIR, pages: list[str] | None = None,
             locale: Path = LOCALE) -> list[str]:
    """One line per English message without a finished translation: missing, empty, fuzzy,
    or with its maths, code, links or numbers changed."""
    from babel.messages.pofile import read_po

    found = []
    for pot in sorted(pot_dir.rglob("*.pot")):
        page = pot.relative_to(pot_dir).with_suffix("").as_posix()
        if pages and page not in pages:
            continue
        po = locale / language / "LC_MESSAGES" / f"{page}.po"
        with open(pot, "rb") as f:
            wanted = [m.id for m in read_po(f) if m.id]
        name = po.relative_to(locale.parent).as_posix()
        if not po.is_file():
            found.append(f"{name}: missing ({len(wanted)} messages to translate)")
            continue
        with open(po, "rb") as f:
            catalog = read_po(f)
        for msgid in wanted:
            message = catalog.get(msgid)
            short = msgid if len(msgid) <= 100 else msgid[:97] + "..."
            if message is None:
                found.append(f"{name}: not in the file (run `make translations`): {short!r}")
            elif not message.string:
                found.append(f"{name}: untranslated: {short!r}")
            elif message.fuzzy:
                found.append(f"{name}: fuzzy (the English changed): {short!r}")
            elif changed := changed_parts(msgid, message.string):
                found.append(f"{name}: maths, code, links or numbers changed ({changed}): {short!r}")
    return found


FORMAT_FLAGS = ("python-format", "no-python-format", "python-brace-format", "no-python-brace-format")


def drop_format_flags(po: Path) -> None:
    """Remove gettext's format marks: the book's prose ("30% of", "{mod}`...`") is never a format string."""
    text = po.read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith("#,"):
            flags = [f.strip() for f in line[2:].split(",") if f.strip() not in FORMAT_FLAGS]
            if not flags:
                continue
            line = "#, " + ", ".join(flags) + "\n"
        lines.append(line)
    if "".join(lines) != text:
        po.write_text("".join(lines), encoding="utf-8")


def update(languages: list[str]) -> None:
    """Extract, then update (or create) every page's .po file with sphinx-intl."""
    extract()
    for language in languages:
        subprocess.run(
            [sys.executable, "-m", "sphinx_intl", "update", "--pot-dir", str(POT_DIR),
             "--locale-dir", str(LOCALE), "--language", language],
            cwd=ROOT, check=True,
        )
        for po in (LOCALE / language / "LC_MESSAGES").rglob("*.po"):
            drop_format_flags(po)
        left = problems(language)
        say(f"{language}: {len(left)} messages to translate or check"
            + (" (`tools/i18n.py check` lists them)" if left else ""))


# ------------------------------------------------------------------------- build
def translated_title(language: str) -> str:
    """The book's title (``title`` in _config.yml) as the root page's translation gives it, or ''."""
    import yaml
    from babel.messages.pofile import read_po

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    po = LOCALE / language / "LC_MESSAGES" / f"{toc['root']}.po"
    if not po.is_file():
        return ""
    with open(po, "rb") as f:
        message = read_po(f).get(str(config.get("title", "")))
    return message.string if message is not None and message.string and not message.fuzzy else ""


def build_html(language: str, builder: str = "html") -> int:
    """Build one translated edition and put it at ``_build/html/<folder>``.

    With ``builder="singlehtml"`` the whole edition is one page in
    ``_build/singlehtml-<folder>/``, for the PDF (tools/pdf_book.py); it shares
    the HTML build's environment, so it re-reads nothing.
    """
    folder = LANGUAGES[language]
    outdir = BUILD / f"{builder}-{folder}"  # beside html/, so that it shares the execution cache
    overrides = {"language": language}
    title = translated_title(language)
    if title:
        overrides["html_title"] = title  # the sidebar's and the tabs' title
    status = sphinx_build(builder, outdir, BUILD / f".doctrees-{folder}", overrides)
    if builder != "html":
        return status
    if (outdir / "index.html").is_file():
        sync(outdir, BUILD / "html" / folder)
    return status


def sync(source: Path, target: Path) -> None:
    """Make ``target`` a copy of ``source``, copying only the files that changed."""
    wanted = set()
    for path in source.rglob("*"):
        if path.is_dir() or path.name == ".buildinfo":
            continue
        rel = path.relative_to(source)
        wanted.add(rel)
        dest = target / rel
        stat = path.stat()
        if dest.is_file() and (dest.stat().st_size, dest.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    if target.is_dir():
        for path in sorted(target.rglob("*"), reverse=True):
            if path.is_file() and path.relative_to(target) not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("extract", help="write _build/gettext/<page>.pot from the English sources")
    p_update = sub.add_parser("update", help="extract, then update the .po files (sphinx-intl)")
    p_update.add_argument("languages", nargs="*", default=list(LANGUAGES))
    p_check = sub.add_parser("check", help="list messages without a finished translation")
    p_check.add_argument("pages", nargs="*", help="pages such as chapters/05_regression (default: all)")
    p_check.add_argument("--language", default="zh_CN")
    p_html = sub.add_parser("html", help="build one translated edition into _build/html/<folder>")
    p_html.add_argument("language", nargs="?", default="zh_CN", choices=list(LANGUAGES))
    p_single = sub.add_parser("singlehtml", help="build one translated edition as one page, for its PDF")
    p_single.add_argument("language", nargs="?", default="zh_CN", choices=list(LANGUAGES))
    args = parser.parse_args(argv)

    if args.command == "extract":
        say(f"messages written to {extract().relative_to(ROOT)}/")
    elif args.command == "update":
        update(args.languages)
    elif args.command == "check":
        extract()
        pages = [p.removesuffix(".po").removesuffix(".ipynb").removesuffix(".md") for p in args.pages]
        left = problems(args.language, pages=pages or None)
        for line in left:
            print(line)
        say(f"{len(left)} messages without a finished translation" if left else "every message is translated")
        return 1 if left else 0
    elif args.command == "html":
        return build_html(args.language)
    elif args.command == "singlehtml":
        return build_html(args.language, "singlehtml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
