"""suture as an installed tool: the wheel, a fresh venv, the editable install, the README.

The wheel is built from a copy of the source (so the build's `build/` and
egg-info never race other tests in the work tree) without build isolation and
installed with --no-deps into a new venv; a .pth file lends that venv the
running environment's dependencies, so the test needs no network.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import init_repo

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "tools", "retrieval", "prompts")
GENERIC_NAMES = ("agent", "tools", "retrieval", "prompts", "tests", "bench", "examples")


def run(cmd, cwd, **kwargs):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", ".suture"))
    done = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", "dist", "./src"],
        cwd=work,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = (work / "dist").glob("suture-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_venv(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv") / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=venv.parent, check=True)
    python = venv / "bin" / "python"
    done = run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
        cwd=venv.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The dependencies come from the running environment: its site-packages joins the
    # venv's sys.path after the venv's own (a .pth line only appends a path; the .pth files
    # over there, such as an editable suture's finder, are not run).
    site = venv_site_packages(python)
    lent = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_dev_dependencies.pth").write_text("".join(f"{path}\n" for path in sorted(lent)))
    return venv


def venv_site_packages(python: Path) -> Path:
    done = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=python.parent)
    return Path(done.stdout.strip())


@pytest.mark.slow  # builds the wheel, which the other slow tests here share (scheduled together)
def test_wheel_holds_only_the_suture_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"suture", "suture-0.1.0.dist-info"}
    for package in PACKAGES:
        assert f"suture/{package}/__init__.py" in names
    assert "suture/agent/cli/main.py" in names and "suture/retrieval/index.py" in names
    # every sub-package of the four rooms is in the wheel (a package pyproject.toml forgets fails only once installed)
    for room in PACKAGES:
        for init in (ROOT / room).rglob("__init__.py"):
            assert f"suture/{init.relative_to(ROOT).as_posix()}" in names
    entry_points = zipfile.ZipFile(wheel).read("suture-0.1.0.dist-info/entry_points.txt").decode()
    assert "suture = suture.agent.cli.main:main" in entry_points


@pytest.mark.slow
def test_fresh_venv_gets_suture_and_nothing_generic(fresh_venv):
    site = venv_site_packages(fresh_venv / "bin" / "python")
    entries = {path.name for path in site.iterdir()}
    assert "suture" in entries and "suture-0.1.0.dist-info" in entries
    assert not entries & set(GENERIC_NAMES), entries & set(GENERIC_NAMES)
    where = run(
        [str(fresh_venv / "bin" / "python"), "-c", "import suture.agent.cli.main as c; print(c.__file__)"], cwd=site.parent
    )
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout + where.stderr


@pytest.mark.slow
def test_installed_command_runs_help_and_search(fresh_venv, make_repo, tmp_path):
    suture = str(fresh_venv / "bin" / "suture")
    helped = run([suture, "--help"], cwd=tmp_path)
    assert helped.returncode == 0, helped.stderr
    assert "search" in helped.stdout
    repo = make_repo(
        {
            "geometry/shapes.py": '''\
                class Circle:
                    def area_of_circle(self, radius):
                        return 3.14159 * radius ** 2


                def perimeter_of_square(side):
                    return 4 * side
                ''',
        }
    )
    found = run([suture, "search", "perimeter square", "--repo", str(repo), "--json"], cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    best = json.loads(found.stdout.strip().splitlines()[-1])["results"][0]
    assert (best["path"], best["symbol"], best["start_line"]) == ("geometry/shapes.py", "perimeter_of_square", 6)


def test_editable_install_imports_from_the_work_tree(tmp_path):
    """The running environment is an editable install (pip install -e .): the work tree is live."""
    code = (
        "import importlib.util, json, suture.agent.cli.main, suture.retrieval.model\n"
        "print(json.dumps({'cli': suture.agent.cli.main.__file__, 'model': suture.retrieval.model.__file__,\n"
        "  'generic': [n for n in ('agent', 'tools', 'retrieval', 'prompts') if importlib.util.find_spec(n)]}))"
    )
    done = run([sys.executable, "-c", code], cwd=tmp_path)  # not the repo root: no accidental sys.path entry
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["cli"]) == ROOT / "agent" / "cli" / "main.py"
    assert Path(found["model"]) == ROOT / "retrieval" / "model.py"
    assert found["generic"] == []


def readme_setup_commands() -> list[str]:
    """The one-line shell blocks of the README's "Set up" section, in order."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [block.strip() for block in blocks]


def test_readme_has_two_one_line_setup_commands():
    commands = readme_setup_commands()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    example, tests = commands
    lock_install = "--no-deps --require-hashes -r requirements/ci.lock"
    assert lock_install in example and lock_install in tests
    assert "examples/invoicing" in example
    assert tests.endswith("python -m pytest -n 3")
    assert (ROOT / "examples" / "invoicing" / "tests").is_dir()


def test_ci_runs_exactly_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    lines = [line for line in script.splitlines() if line.strip() and not line.startswith("#")]
    assert "set -euo pipefail" in lines
    assert lines[-1] == readme_setup_commands()[1]


def test_readme_example_command_runs_on_the_bundled_example(tmp_path):
    """The suture part of the README's first command, with this environment's suture.

    Run on a copy of examples/invoicing inside its own git repo, so the work tree stays clean.
    """
    example = tmp_path / "checkout"
    shutil.copytree(ROOT / "examples" / "invoicing", example / "examples" / "invoicing",
                    ignore=shutil.ignore_patterns(".suture", "__pycache__", ".pytest_cache"))
    init_repo(example, {})  # commits the copied example: fix tests HEAD
    steps = [step for step in readme_setup_commands()[0].split(" && ") if step.startswith(".venv/bin/suture ")]
    assert [shlex.split(step)[1] for step in steps] == ["fix"]
    args = shlex.split(steps[0])[1:]
    before = (example / "examples/invoicing/invoicing/discounts.py").read_bytes()
    done = run([sys.executable, "-m", "suture.agent.cli.main", *args], cwd=example)
    assert done.returncode == 0, done.stderr
    assert "+    if quantity >= BULK_THRESHOLD:" in done.stdout  # the real bug, repaired
    assert "Your tree is untouched" in done.stdout
    assert (example / "examples/invoicing/invoicing/discounts.py").read_bytes() == before


def test_lock_pins_every_declared_dependency_with_hashes():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    lock = (ROOT / "requirements" / "ci.lock").read_text()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", lock, flags=re.M))
    normalise = lambda name: re.sub(r"[-_.]+", "-", name).lower()  # noqa: E731 (PEP 503 names)
    pinned = {normalise(name): version for name, version in pins.items()}
    for requirement in declared:
        name = normalise(re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0])
        assert name in pinned, f"{name} is declared in pyproject.toml but missing from requirements/ci.lock"
    assert pinned["litellm"] == "1.106.2"
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n", 1)[1])
    for entry in entries:
        if "==" in entry.split("\n", 1)[0]:
            assert "--hash=sha256:" in entry, entry.split("\n", 1)[0]


def test_the_lock_pins_everything_the_installed_packages_need():
    """The README installs the lock with --no-deps, so a missing pin would only show at run time."""
    done = run([sys.executable, "-m", "pip", "check"], cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_readme_lock_install_works_with_the_pip_venv_ships_on_python_3_11_7(tmp_path):
    """pip 23.2.1 (what `python3 -m venv` gives with CPython 3.11.7) takes the README's lock install.

    Before --no-deps it stopped with "all requirements must have their versions pinned with =="
    over litellm's `httpx[http2]`. --dry-run resolves and hash-checks every file without installing.
    The venv is made without pip and gets pip 23.2.1 from the running pip (`--python`, not compiled): the
    same pip in a fresh venv, without ensurepip installing and byte-compiling one first (~3.5 CPU-s).
    """
    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path).returncode == 0
    pip = venv / "bin" / "pip"
    pinned = run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                  "--no-compile", "pip==23.2.1"], cwd=tmp_path)
    assert pinned.returncode == 0, pinned.stderr
    assert "pip 23.2.1 " in run([str(pip), "--version"], cwd=tmp_path).stdout
    step = next(part for part in readme_setup_commands()[1].split(" && ") if "ci.lock" in part)
    argv = shlex.split(step)
    assert argv[0] == ".venv/bin/pip"
    done = run([str(pip), *argv[1:], "--dry-run"], cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
