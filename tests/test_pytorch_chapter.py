"""What the PyTorch chapter relies on outside the notebook.

The chapter (chapters/10_pytorch.ipynb) checks its own numbers under nbval. These
tests guard the two promises around it: bplib itself still needs numpy alone
(it must import on a machine without PyTorch), and PyTorch is pinned to one
version everywhere the project names it.
"""

import re
import subprocess
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest brings tomli, the same parser
    import tomli as tomllib

from conftest import ROOT

# Every bplib module that needs only numpy (the course's plots and widgets need matplotlib and ipywidgets).
NUMPY_ONLY_MODULES = ["bplib", "bplib.data", "bplib.engine", "bplib.functions", "bplib.gradcheck", "bplib.layers",
                      "bplib.losses", "bplib.network", "bplib.optim", "bplib.train",
                      "bplib.course.bugs", "bplib.course.exercises", "bplib.course.mnist"]

BLOCK_TORCH = """
import importlib, importlib.abc, sys

class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is not installed (blocked by the test)")
        return None

sys.meta_path.insert(0, NoTorch())
for module in sys.argv[1:]:
    importlib.import_module(module)
print(sorted(name for name in sys.modules if name == "torch" or name.startswith("torch.")))
"""


def test_bplib_imports_without_torch():
    result = subprocess.run([sys.executable, "-c", BLOCK_TORCH, *NUMPY_ONLY_MODULES], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"bplib needs torch to import:\n{result.stderr}"
    assert result.stdout.strip() == "[]", result.stdout


def pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def test_bplib_depends_on_numpy_alone():
    assert [re.split(r"[<>=!~ ;\[]", dep)[0] for dep in pyproject()["project"]["dependencies"]] == ["numpy"]


def test_torch_is_pinned_alike_everywhere():
    extras = pyproject()["project"]["optional-dependencies"]
    (pin,) = [dep for dep in extras["torch"] if dep.startswith("torch")]
    assert re.fullmatch(r"torch==\d+\.\d+\.\d+", pin), pin
    assert any("torch" in dep.split("[", 1)[1] for dep in extras["dev"] if dep.startswith("bplib[")), \
        "the dev extra (make book, make test) must include the torch extra: chapter 10 imports torch"
    for path in sorted((ROOT / "requirements").glob("constraints-py*.txt")):
        pins = [line.strip() for line in path.read_text().splitlines() if line.lower().startswith("torch==")]
        assert pins == [pin], f"{path.name} pins {pins}, pyproject.toml {pin}"
