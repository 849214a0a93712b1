"""``mypy --strict`` passes on a user's program after the README's editable install and after a wheel install
(issue 13, "Typing for users").

Each case builds a fresh virtualenv offline: ``python -m venv --without-pip``, a ``.pth`` line that puts this
environment's site-packages (pulumi, the cloud SDKs, pip, setuptools, mypy) behind it, then ``pip install --no-deps
--no-build-isolation --no-index`` of a copy of the project (``-e`` for the editable case; ``pip wheel`` + install for
the wheel case). mypy then runs from outside the repository, as a user's would, on ``tests/user_program.py`` (an
existing cluster with the high-level components and the stack model) and the README's ``examples/own_program.py``.

The default case skips analysing the three cloud SDKs (``follow_imports = skip`` for ``pulumi_gcp`` / ``pulumi_aws``
/ ``pulumi_kubernetes``: thousands of modules, about 90 s of mypy on a cold cache) so it stays in the normal suite
(about 10 s); what it guards is that mypy *finds* ``pulumi_llmd`` and its types (the editable install used to be an
import-hook finder mypy cannot follow: "Cannot find implementation or library stub for module named
pulumi_llmd.components"). ``pytest -m slow tests/test_user_typing.py`` runs plain ``mypy --strict`` with nothing
skipped (about 2 minutes; the two installs share one mypy cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: The user programs mypy checks (copied out of the repository first).
PROGRAMS = (REPO / "tests" / "user_program.py", REPO / "examples" / "own_program.py")
#: What a build of the project reads (pyproject's src layout: src/pulumi_llmd links to the three top-level folders).
PROJECT_FILES = ("pyproject.toml", "README.md")
PROJECT_FOLDERS = ("src", "components", "blueprints", "policies")
FAST_CONFIG = """[mypy]
strict = True

[mypy-pulumi_gcp.*,pulumi_aws.*,pulumi_kubernetes.*]
follow_imports = skip
"""
FULL_CONFIG = """[mypy]
strict = True
"""


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    env.pop("MYPYPATH", None)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def _check(result: subprocess.CompletedProcess[str], what: str) -> None:
    assert result.returncode == 0, (
        f"{what} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what a build reads, so building never writes into the repository (build/, egg-info)."""
    root = tmp_path_factory.mktemp("project")
    for name in PROJECT_FILES:
        shutil.copy2(REPO / name, root / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in PROJECT_FOLDERS:
        shutil.copytree(REPO / name, root / name, symlinks=True, ignore=ignore)
    return root


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user programs in a folder of their own, outside the repository (no pyproject.toml / mypy.ini there)."""
    folder = tmp_path_factory.mktemp("user")
    for program in PROGRAMS:
        shutil.copy2(program, folder / program.name)
    (folder / "fast.ini").write_text(FAST_CONFIG)
    (folder / "full.ini").write_text(FULL_CONFIG)
    return folder


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One mypy cache for every install (the dependencies' entries are reused; only pulumi_llmd moves)."""
    yield tmp_path_factory.mktemp("mypy-cache")


def _venv(folder: Path) -> Path:
    """A virtualenv without packages of its own; this environment's site-packages come after its own."""
    _check(_run([sys.executable, "-m", "venv", "--without-pip", str(folder)], folder.parent), "python -m venv")
    python = folder / "bin" / "python"
    own = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], folder).stdout.strip()
    )
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (own / "_pulumi_llmd_test_dependencies.pth").write_text("".join(f"{path}\n" for path in ours))
    return python


def _pip(python: Path, *args: str, cwd: Path) -> None:
    _check(
        _run([str(python), "-m", "pip", *args, "--no-deps", "--no-build-isolation", "--no-index", "-q"], cwd),
        f"pip {args[0]}",
    )


def _install(kind: str, project: Path, folder: Path) -> Path:
    python = _venv(folder / "venv")
    if kind == "editable":
        _pip(python, "install", "-e", str(project), cwd=folder)
    else:
        _pip(python, "wheel", "-w", str(folder / "dist"), str(project), cwd=folder)
        (wheel,) = (folder / "dist").glob("pulumi_llm_d-*.whl")
        _pip(python, "install", str(wheel), cwd=folder)
    return python


def _mypy(python: Path, programs: Path, cache: Path, config: str) -> subprocess.CompletedProcess[str]:
    files = [p.name for p in PROGRAMS]
    args = [str(python), "-m", "mypy", "--config-file", config, "--cache-dir", str(cache), *files]
    return _run(args, programs)


@pytest.mark.parametrize("kind", ["editable", "wheel"])
def test_mypy_strict_passes_on_a_user_program(
    kind: str, project: Path, programs: Path, mypy_cache: Path, tmp_path: Path
) -> None:
    python = _install(kind, project, tmp_path)
    if kind == "editable":
        # A static .pth path (what mypy follows), not setuptools' import-hook finder (which it cannot).
        site = Path(
            _run(
                [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path
            ).stdout.strip()
        )
        (pth,) = site.glob("__editable__.pulumi_llm_d-*.pth")
        assert pth.read_text().strip() == str(project / "src"), pth.read_text()
    result = _mypy(python, programs, mypy_cache, "fast.ini")
    assert result.returncode == 0 and "Success: no issues found in 2 source files" in result.stdout, result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["editable", "wheel"])
def test_plain_mypy_strict_passes_on_a_user_program(
    kind: str, project: Path, programs: Path, mypy_cache: Path, tmp_path: Path
) -> None:
    python = _install(kind, project, tmp_path)
    result = _mypy(python, programs, mypy_cache, "full.ini")
    assert result.returncode == 0 and "Success: no issues found in 2 source files" in result.stdout, result.stdout
