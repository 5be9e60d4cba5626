"""Write requirements/constraints-pyX.Y.txt from the environment running this script.

Used by `make lock`, which installs every extra of pyproject.toml into a
scratch virtual environment, without constraints, and then runs this script
with that environment's Python.  The result pins every installed distribution
to the exact version that was resolved, so that `make book` installs the same
set on another machine or a year later.
"""

import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    version = "%d.%d" % sys.version_info[:2]
    extras = sys.argv[1] if len(sys.argv) > 1 else "dev,lab,mnist-prepare,bench"
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable", "--disable-pip-version-check"],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()
    pins = sorted(
        # "torch==2.13.0+cpu" -> "torch==2.13.0": a local label would refuse the same
        # release built for another platform, and "==2.13.0" still accepts the +cpu build.
        (line.split("+", 1)[0] for line in frozen
         if "==" in line and not line.lower().startswith(("pip==", "bplib=="))),
        key=str.lower,
    )
    out = ROOT / "requirements" / f"constraints-py{version}.txt"
    header = [
        f"# Exact versions for Python {version}, resolved by `make lock` on {date.today().isoformat()}",
        f"# ({platform.system()} {platform.machine()}, Python {platform.python_version()}) from every extra",
        f"# of pyproject.toml: {extras}.",
        "# Used as a pip constraints file (-c): it fixes versions, the extras choose packages.",
        "",
    ]
    out.write_text("\n".join(header + pins) + "\n")
    print(f"wrote {len(pins)} pins to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
