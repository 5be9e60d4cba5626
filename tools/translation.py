"""Sphinx extension: what the book needs to be read in more than one language.

The book is written in English and translated with Sphinx's own i18n: the
gettext builder extracts every message (a paragraph, a heading, a list item, a
caption) into ``_build/gettext/<page>.pot``, the translations live in
``locale/<language>/LC_MESSAGES/<page>.po``, and a build with
``language = <language>`` puts them in place of the English.  ``tools/i18n.py``
runs those steps; this extension, listed under ``local_extensions`` in
``_config.yml``, is loaded by every build (English, Chinese, gettext) and adds:

* **What is not translated.**  Display maths, the glossary's term lines (its
  English and Chinese names are both link targets, so they must stay as they
  are) and any text with no Latin letter outside its maths and code (a table
  cell such as ``$w_1$`` or ``0.15``, a Chinese name) are never offered for
  translation.  Code cells and their outputs are not messages in the first
  place (literal blocks are left out by Sphinx, outputs by myst-nb).
* **The language link.**  Every page of each edition links to the same page in
  the others (``edition-links.html`` in the article header, and
  ``<link rel="alternate" hreflang>`` in the head).  The editions live in
  ``EDITIONS``: English at the root of ``_build/html``, Chinese in ``zh/``.
* **Chinese search.**  With ``jieba`` installed, Sphinx splits Chinese text
  into words for its search index; the glossary's Chinese names are added to
  jieba's dictionary so that a term such as 反向传播 is indexed whole.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform

ROOT = Path(__file__).resolve().parent.parent

#: Each edition: Sphinx language -> (folder under _build/html, HTML lang, link text).
EDITIONS = {
    "en": ("", "en", "English"),
    "zh_CN": ("zh/", "zh-CN", "中文"),
}
TEMPLATE = "edition-links.html"
CJK = re.compile(r"[\u3400-\u9fff]")
CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
LATIN = re.compile(r"[A-Za-z]")
#: Text inside these is maths or code, never prose.
NOT_PROSE = (nodes.math, nodes.math_block, nodes.literal, nodes.literal_block, nodes.raw)


# --------------------------------------------------------------- what is translated
def _prose(node: nodes.Element) -> str:
    """The text of ``node`` outside its maths and code."""
    parts = []
    for text in node.findall(nodes.Text):
        parent = text.parent
        while parent is not None and parent is not node and not isinstance(parent, NOT_PROSE):
            parent = parent.parent
        if parent is node or parent is None:
            parts.append(str(text))
    return "".join(parts)


class KeepUntranslated(SphinxTransform):
    """Mark maths, glossary terms and prose-less text as not translatable."""

    # Before sphinx.transforms.i18n.Locale (20), which puts the translations
    # in; the gettext builder reads the marks later, when it writes the .pot.
    default_priority = 10

    def apply(self, **kwargs) -> None:
        for node in self.document.findall(nodes.TextElement):
            if isinstance(node, nodes.Inline):
                continue
            if isinstance(node, (nodes.math_block, nodes.term)) or not LATIN.search(_prose(node)):
                node["translatable"] = False


class TranslateTocCaptions(SphinxTransform):
    """Translate the part captions of the table of contents ("Getting started", ...).

    sphinx-external-toc inserts the toctrees from _toc.yml into the root page
    (priority 100) after Sphinx has put the translations in (20), so the
    captions, which the gettext builder does extract, are translated here.
    """

    default_priority = 101

    def apply(self, **kwargs) -> None:
        if not self.config.language or self.config.language == "en":
            return
        from sphinx.locale import init as init_locale
        from sphinx.util.i18n import docname_to_domain

        dirs = [str(Path(self.env.srcdir, d)) for d in self.config.locale_dirs]
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        catalog, has_catalog = init_locale(dirs, self.config.language, domain)
        if not has_catalog:
            return
        for toctree in self.document.findall(addnodes.toctree):
            caption = toctree.get("caption")
            if caption and catalog.gettext(caption) != caption:
                toctree["caption"] = catalog.gettext(caption)


# --------------------------------------------------------------------- the editions
def edition_of(language: str | None) -> str:
    return language if language in EDITIONS else "en"


def other_editions(language: str | None, pagename: str) -> list[dict]:
    """Links from ``pagename`` in this edition to the same page in every other one."""
    here = EDITIONS[edition_of(language)][0]
    up = "../" * (pagename.count("/") + here.count("/"))
    return [
        {"url": f"{up}{folder}{pagename}.html", "hreflang": lang, "text": text}
        for key, (folder, lang, text) in EDITIONS.items() if key != edition_of(language)
    ]


def add_edition_links(app, pagename, templatename, context, doctree) -> None:
    links = other_editions(app.config.language, pagename)
    context["edition_links"] = links
    context["metatags"] = context.get("metatags", "") + "".join(
        f'\n    <link rel="alternate" hreflang="{link["hreflang"]}" href="{link["url"]}" />'
        for link in links
    )


# --------------------------------------------------------------------- Chinese search
def glossary_chinese_names(glossary: Path = ROOT / "glossary.md") -> list[str]:
    """The Chinese names among the term lines (unindented) of the glossary's ``{glossary}`` block."""
    names, inside = [], False
    for line in glossary.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = line.startswith("```{glossary}")
        elif inside and line and not line[0].isspace() and not line.startswith(":") and CJK.search(line):
            names.append(line.strip())
    return names


def chinese_search_language():
    """Sphinx's Chinese search index, the same words found much faster.

    Sphinx's ``SearchChinese`` runs jieba over all the text, English and code
    included, and keeps every Latin word in a list that it searches for each
    word it stems, which made the index most of the Chinese build's time.  This
    one gives jieba only the runs of Chinese characters and keeps the Latin
    words in a set.  The Chinese words indexed are the same; Latin words and
    code are split as Sphinx splits them everywhere else (``examples_thousands``
    stays one word, ``0.25`` is ``0`` and ``25``), where jieba cut them at ``_``
    and kept decimals whole.
    """
    from sphinx.search import zh

    class SearchChinese(zh.SearchChinese):
        def init(self, options) -> None:
            super().init(options)
            self.latin_words: set[str] = set()

        def split(self, input: str) -> list[str]:
            chinese = []
            if zh.JIEBA:
                for run in CJK_RUN.findall(input):
                    chinese.extend(zh.jieba.cut_for_search(run))
            latin = [term.strip() for term in self.latin1_letters.findall(input)]
            self.latin_words.update(latin)
            return chinese + latin

        def stem(self, word: str) -> str:
            lower = word.lower()
            stemmed = self.stemmer.stemWord(lower)
            if word in self.latin_words and len(word) >= 3 and len(stemmed) < 3:
                return lower  # an acronym would be stemmed to nothing
            return stemmed

    return SearchChinese


def on_config_inited(app, config) -> None:
    # The language links, at the start of the article header's buttons.
    config.templates_path.append(str(Path(__file__).resolve().parent / "templates"))
    options = config.html_theme_options
    end = options.get("article_header_end") or ["article-header-buttons.html"]
    if isinstance(end, str):
        end = [item.strip() for item in end.split(",")]
    if TEMPLATE not in end:
        options["article_header_end"] = [TEMPLATE, *end]

    if edition_of(config.language).startswith("zh"):
        # jieba's dictionary plus the glossary's terms (a term with a space cannot be one word).
        words = Path(app.doctreedir) / "jieba-glossary.txt"
        words.parent.mkdir(parents=True, exist_ok=True)
        words.write_text("".join(f"{w}\n" for w in glossary_chinese_names() if " " not in w),
                         encoding="utf-8")
        config.html_search_options = {**(config.html_search_options or {}), "dict": str(words)}
        try:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)  # not its "Building prefix dict" notes on every build
        except ImportError:
            pass


# ------------------------------------------------------- docstrings are rst
# Sphinx parses a translated message with the parser of its page, and the
# Reference pages are MyST files whose text comes from bplib's docstrings,
# which are reStructuredText (``code``, :math:, :class:). A message that came
# from a docstring is therefore parsed as rst. Sphinx (7.4, pinned) has no
# setting for this, so its two module-level helpers are wrapped: one notes
# which node a message belongs to, the other picks the parser by that node.
from sphinx.transforms import i18n as _sphinx_i18n  # noqa: E402

_extract_messages, _publish_msgstr = _sphinx_i18n.extract_messages, _sphinx_i18n.publish_msgstr
_message_node: dict = {"node": None}


def _extract_messages_noting_node(doctree):
    for node, msg in _extract_messages(doctree):
        _message_node["node"] = node
        yield node, msg
    _message_node["node"] = None


def _publish_docstring_as_rst(app, source, source_path, source_line, config, settings):
    node = _message_node["node"]
    if node is not None and ":docstring of " in (node.source or ""):
        source_path = source_path.rsplit(".", 1)[0] + ".rst"
    return _publish_msgstr(app, source, source_path, source_line, config, settings)


def setup(app):
    _sphinx_i18n.extract_messages = _extract_messages_noting_node
    _sphinx_i18n.publish_msgstr = _publish_docstring_as_rst
    app.add_transform(KeepUntranslated)
    app.add_search_language(chinese_search_language())
    app.add_transform(TranslateTocCaptions)
    app.connect("config-inited", on_config_inited)
    app.connect("html-page-context", add_edition_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
