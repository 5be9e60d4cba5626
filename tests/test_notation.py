"""The book's notation, held in every chapter's text, the introduction and the glossary.

Chapter 1 states the notation once (its section "The notation of this book"):
the loss is $\\L$ (calligraphic, the book's macro), never a plain $L$; the layer
index is a superscript, $W^{(l)}$, $z^{(l)}$, $a^{(l)}$, $\\delta^{(l)}$, and
subscripts are for the example and the unit ($a^{(l)}_{nj}$); the depth is
$M$, not $L$.  These tests read the maths of every markdown cell and fail on

* a plain ``L`` in a derivative (``\\partial L``, ``\\pd{L}{...}``, ``dL/dz``,
  ``\\frac{dL}{...}``, ``\\nabla L``), or ``dL/d`` in the prose around the maths;
* a plain ``L`` defined as, or evaluated as, the loss (``L = ...``, ``L(w + h)``);
* a layer index written as a subscript on a layer's quantity: ``W_1``, ``b_2``,
  ``z_l``, ``a_{l-1}``, ``\\delta_L``, ``W_{l+1}``, ``a_{l,nj}``, and the
  subscripts ``h`` and ``o`` used as layer names (``a_h``, ``\\delta_o``);
* ``L`` as the number of layers (``l = 1, \\dots, L``).

Code (inline code, code blocks, code cells) is not maths and is not read:
``W1`` and ``delta2`` are the code names of $W^{(1)}$ and $\\delta^{(2)}$.
A chapter that follows a published text's notation says so in its prose and
is allowed exactly the uses listed in ``ALLOWED`` below, each with its reason.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
PAGES = [ROOT / "intro.md", ROOT / "glossary.md"]

# Uses of a subscript index that are not the book's layer index, allowed by name.
# Keys are file names; values are the exact offending snippets (as the checks
# below report them) that the file may contain.
ALLOWED: dict[str, set[str]] = {
    # Chapter 4 works Mazur's 2-2-2 example in Mazur's own notation and says so:
    # net/out for pre-activation/activation, weights w_1..w_8 (one per
    # connection, a unit index), and one bias per layer, b_1 (hidden) and b_2
    # (output), which is a layer index in Mazur's text.
    "04_worked_example.ipynb": {"b_1", "b_2"},
}

# ------------------------------------------------------------------ the text
# A fenced block: its fence, its info string (python, {math}, {glossary}, ...) and its body.
FENCE = re.compile(r"^(?P<fence>```+|~~~+)[ \t]*(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.S | re.M)
# Directives whose body is markdown (read as text); every other fenced block is code, or maths.
MARKDOWN_DIRECTIVES = ("{glossary}", "{admonition}", "{note}", "{tip}", "{important}", "{warning}",
                       "{caution}", "{attention}", "{hint}", "{seealso}", "{dropdown}", "{margin}", "{sidebar}")
CODE_SPAN = re.compile(r"``.+?``|`[^`\n]+`")
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$(?!\$)", re.S)


def markdown_sources(path):
    """``(where, source)`` for every markdown cell of a notebook, or the whole page of a .md file."""
    if path.suffix == ".md":
        return [(path.name, path.read_text(encoding="utf-8"))]
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            src = cell["source"]
            out.append((f"{path.name} cell {i}", "".join(src) if isinstance(src, list) else src))
    return out


def split_maths(source):
    """The maths of a markdown source (a list of strings) and its prose with code and maths removed."""
    maths = []

    def fenced(block):
        info = block.group("info").strip()
        if info.startswith("{math}"):
            maths.append(block.group("body"))
        elif info.startswith(MARKDOWN_DIRECTIVES):
            return FENCE.sub(fenced, block.group("body"))
        return " "

    text = FENCE.sub(fenced, source)
    text = CODE_SPAN.sub(" ", text)
    maths += [m.group(1) for m in DISPLAY.finditer(text)]
    text = DISPLAY.sub(" ", text)
    maths += [m.group(1) for m in INLINE.finditer(text)]
    prose = INLINE.sub(" ", text)
    return maths, prose


# ---------------------------------------------------------------- the checks
NOT_NAME = r"(?<![A-Za-z\\_^])"    # not part of a longer name, a macro (\L, \ell, \Lambda) or an index
END = r"(?![A-Za-z])"
PLAIN_L_IN_DERIVATIVE = [
    re.compile(r"\\partial\s*\{?\s*L" + END),                    # \partial L, \frac{\partial L}{...}
    re.compile(r"\\pd\s*\{\s*L\s*\}"),                           # \pd{L}{z}
    re.compile(NOT_NAME + r"d\s*L\s*(/|\})"),                    # dL/dz, \frac{dL}{dz}
    re.compile(r"\\nabla(_\{[^}]*\}|_\\?[A-Za-z]+)?\s*L" + END),  # \nabla L, \nabla_W L
]
PLAIN_L_AS_LOSS = [
    re.compile(NOT_NAME + r"L\s*=(?!=)"),                        # L = (1/N) sum ...
    re.compile(NOT_NAME + r"L\s*\("),                            # L(w + h)
    re.compile(r"\\lvert\s*L\s*\\rvert|\|\s*L\s*\|"),             # |L|
    re.compile(r"^\s*L\s*$"),                                   # a bare $L$ in the prose
]
DEPTH_L = [
    re.compile(r"\\[lc]?dots\s*,\s*L" + END),                    # l = 1, \dots, L
    re.compile(NOT_NAME + r"l\s*=\s*L" + END),                   # l = L
]
# A layer's quantity (W, b, z, a, f, delta) with a subscript that names a layer:
# a number, l, L, M, l+1, l-1, or h/o (hidden/output), alone or before a comma.
LAYER_SUBSCRIPT = re.compile(
    r"(?:" + NOT_NAME + r"(?:W|b|z|a|f)|\\delta)\s*_\s*"
    r"(?:[0-9]+|[lLMho]" + END + r"|\{\s*(?:[0-9]+|[lLMho]|[lLM]\s*[+-]\s*[0-9]+)\s*[,}])"
)
PROSE_DERIVATIVE = re.compile(r"(?<![A-Za-z_])dL/d")


def findings(path):
    """Every notation slip in one file, as ``where: kind: snippet`` strings (allowed uses left out)."""
    allowed = ALLOWED.get(path.name, set())
    found = []
    for where, source in markdown_sources(path):
        maths, prose = split_maths(source)
        for m in maths:
            for kind, patterns in (("plain L in a derivative", PLAIN_L_IN_DERIVATIVE),
                                   ("plain L for the loss", PLAIN_L_AS_LOSS),
                                   ("L as the depth", DEPTH_L)):
                found += [f"{where}: {kind}: {hit.group(0)!r} in ${m.strip()}$"
                          for p in patterns for hit in p.finditer(m)]
            found += [f"{where}: subscript layer index: {hit.group(0)!r} in ${m.strip()}$"
                      for hit in LAYER_SUBSCRIPT.finditer(m)
                      if re.sub(r"[\s{}]", "", hit.group(0)).rstrip(",") not in allowed]
        found += [f"{where}: plain L in a derivative (prose): {hit.group(0)!r}"
                  for hit in PROSE_DERIVATIVE.finditer(prose)]
    return found


@pytest.mark.parametrize("path", CHAPTERS + PAGES, ids=lambda p: p.name)
def test_notation(path):
    found = findings(path)
    assert not found, f"{path.name} departs from the book's notation (chapter 1, 'The notation of this book'):\n" + "\n".join(found)


# ------------------------------------------------------- the checks can fail
@pytest.mark.parametrize("slip", [
    r"$\delta_L = \partial L/\partial a_L$",
    r"$$\frac{\partial L}{\partial W}$$",
    r"$\pd{L}{z}$",
    r"the error $\delta = dL/dz$",
    r"$\nabla_W L$",
    r"$L = \frac1N \sum_n \ell_n$",
    r"$l = 1, \dots, L$",
    r"$z_l = a_{l-1} W_l + b_l$",
    r"$W_{l+1}^\top$",
    r"$a_{l,nj}$",
    r"$\delta_o W_2^\top$",
    r"$(W_1)_{11}$",
    "in prose, delta = dL/dz",
    "a scalar measure $L$ of how wrong",
    "```{glossary}\ndelta\n  The gradient $\\delta = \\pd{L}{z}$.\n```",
    "```{math}\n\\delta_l = \\partial \\L / \\partial z_l\n```",
    ":::{admonition} Solution\n:class: dropdown\n\n$\\delta_2 = (a_2 - t)/N$\n:::",
])
def test_a_slip_is_found(slip, tmp_path):
    page = tmp_path / "page.md"
    page.write_text(f"# A page\n\nSome text with\n\n{slip}\n\nin it.\n", encoding="utf-8")
    assert findings(page), slip


@pytest.mark.parametrize("fine", [
    r"$\delta^{(M)} = \pd{\L}{a^{(M)}} \odot f'(z^{(M)})$",
    r"$\frac{\partial \L}{\partial W^{(l)}_{ij}} = \sum_n a^{(l-1)}_{ni} \delta^{(l)}_{nj}$",
    r"$a^{(l)}_{nj}$, $w_{jk}$, $x_1$, $w_1$, $b_j$, $z_k$, $y_n$, $\ell_n$",
    r"$\L(w + h)$ and $\lvert \L \rvert$",
    r"$L_2$ weight decay, an $L^2$ norm",
    r"$\Lambda = 1$, $\ell = 2$",
    r"$W^{(2)}_\text{col}$, $D_\text{in}$, $n_\text{out}$, $W^\text{col}_{ji}$",
    "code: `delta_L = dL_da2` and `W1`, `b_1`\n\n```python\nW_1 = dL/dz\n```",
    "```{math}\n\\delta^{(l)} = \\pd{\\L}{z^{(l)}}\n```",
    r"Nielsen's $w^l_{jk}$",
])
def test_the_book_notation_passes(fine, tmp_path):
    page = tmp_path / "page.md"
    page.write_text(f"# A page\n\nSome text with\n\n{fine}\n\nin it.\n", encoding="utf-8")
    assert not findings(page), findings(page)
