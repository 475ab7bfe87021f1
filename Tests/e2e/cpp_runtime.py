"""Builds the e2e suite's C++ function against AWS's C++ runtime library, aws-lambda-cpp.

aws-lambda-cpp 0.2.6 comes from the awslambdaric source distribution on PyPI, which
vendors it (already carrying awslambdaric's patches) as deps/aws-lambda-cpp-0.2.6.tar.gz.
It is built with cmake against Debian's libcurl and installed once into the shared runtimes
cache, <runtimes dir>/aws-lambda-cpp-0.2.6; the function (functions/cpp_runtime) is then
built into <runtimes dir>/cpp-runtime-function/<hash of its sources>/bootstrap. Nothing is
fetched but the sdist from PyPI. A file lock keeps pytest-xdist workers from building at
the same time; the second one finds the cache filled.

    from cpp_runtime import build_bootstrap
    bootstrap = build_bootstrap()   # Path of the executable, cached across runs
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from conftest import FUNCTIONS_DIR, RUNTIMES_DIR

AWS_LAMBDA_CPP_VERSION = "0.2.6"
# The newest awslambdaric whose sdist vendors aws-lambda-cpp 0.2.6 (deps/versions), pinned
# by PyPI's SHA-256 so the build is the same everywhere.
AWSLAMBDARIC_VERSION = "4.2.2"
AWSLAMBDARIC_SHA256 = "439db0e0cc1887682ccfb379be41a4f1d71a8e3e0774c3bba50833ed81411b0e"

LIBRARY_PREFIX = RUNTIMES_DIR / f"aws-lambda-cpp-{AWS_LAMBDA_CPP_VERSION}"
FUNCTION_SOURCES = FUNCTIONS_DIR / "cpp_runtime"
FUNCTION_BUILDS = RUNTIMES_DIR / "cpp-runtime-function"
LOCK_PATH = RUNTIMES_DIR / ".aws-lambda-cpp.lock"
# Written last into the library prefix: a prefix without it is a build that was interrupted.
COMPLETE_MARKER = ".lambent-complete"

# Debian packages the build needs (LAMBENT_E2E_PACKAGES in scripts/lib/prerequisites.sh too).
DEBIAN_PACKAGES = ("cmake", "g++", "make", "libcurl4-openssl-dev")
STEP_TIMEOUT_S = 900


class BuildError(RuntimeError):
    """The C++ function could not be built; the message says why and what to do."""


def missing_prerequisites() -> list[str]:
    """The Debian packages of DEBIAN_PACKAGES that this machine lacks."""
    missing = []
    if not shutil.which("cmake"):
        missing.append("cmake")
    if not (shutil.which("g++") or shutil.which("c++")):
        missing.append("g++")
    if not shutil.which("make"):
        missing.append("make")
    # Every libcurl development package ships curl-config with the headers.
    if not shutil.which("curl-config"):
        missing.append("libcurl4-openssl-dev")
    return missing


@functools.cache
def build_bootstrap() -> Path:
    """The function's `bootstrap` executable, building aws-lambda-cpp and it when not cached."""
    missing = missing_prerequisites()
    if missing:
        raise BuildError(
            "building the aws-lambda-cpp test function needs Debian packages that are missing: "
            f"{' '.join(missing)}\ninstall them with:  sudo apt-get install -y {' '.join(missing)}"
        )
    RUNTIMES_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOCK_PATH, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            prefix = _library()
            return _function(prefix)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _library() -> Path:
    """aws-lambda-cpp installed into LIBRARY_PREFIX (built when it is not there yet)."""
    if (LIBRARY_PREFIX / COMPLETE_MARKER).is_file():
        return LIBRARY_PREFIX
    shutil.rmtree(LIBRARY_PREFIX, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="aws-lambda-cpp-build-", dir=RUNTIMES_DIR) as scratch:
        work = Path(scratch)
        source = _library_source(work)
        build = work / "build"
        # LTO off: a static library full of GCC LTO bytecode would tie the function's link to
        # the exact compiler that built it. The library's own flags include -Werror.
        _run(["cmake", "-S", str(source), "-B", str(build),
              "-DCMAKE_BUILD_TYPE=Release", "-DENABLE_LTO=OFF", "-DBUILD_SHARED_LIBS=OFF",
              f"-DCMAKE_INSTALL_PREFIX={LIBRARY_PREFIX}"], "configure aws-lambda-cpp")
        _run(["cmake", "--build", str(build), "--parallel", str(os.cpu_count() or 2)],
             "build aws-lambda-cpp")
        _run(["cmake", "--install", str(build)], "install aws-lambda-cpp")
    (LIBRARY_PREFIX / COMPLETE_MARKER).write_text(
        f"aws-lambda-cpp {AWS_LAMBDA_CPP_VERSION} from awslambdaric {AWSLAMBDARIC_VERSION} "
        f"(sha256 {AWSLAMBDARIC_SHA256})\n")
    return LIBRARY_PREFIX


def _library_source(work: Path) -> Path:
    """Downloads the awslambdaric sdist and extracts aws-lambda-cpp from it into `work`."""
    requirements = work / "requirements.txt"
    requirements.write_text(f"awslambdaric=={AWSLAMBDARIC_VERSION} --hash=sha256:{AWSLAMBDARIC_SHA256}\n")
    downloads = work / "sdist"
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    # pip prepares an sdist's metadata even to download it, and awslambdaric's setup.py would
    # build its bundled curl for that (needing autoreconf); BUILD=true is its own switch to skip it.
    env["BUILD"] = "true"
    _run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
          "--require-hashes", "-r", str(requirements), "-d", str(downloads)],
         "download the awslambdaric sdist from PyPI", env=env)
    sdist = downloads / f"awslambdaric-{AWSLAMBDARIC_VERSION}.tar.gz"
    member = f"awslambdaric-{AWSLAMBDARIC_VERSION}/deps/aws-lambda-cpp-{AWS_LAMBDA_CPP_VERSION}.tar.gz"
    try:
        with tarfile.open(sdist) as outer:
            inner = outer.extractfile(member)
            if inner is None:
                raise KeyError(member)
            with tarfile.open(fileobj=inner, mode="r:gz") as library:
                _extract(library, work / "src")
    except (KeyError, OSError, tarfile.TarError) as error:
        raise BuildError(f"{sdist.name} does not hold a readable {member}: {error!r}") from error
    source = work / "src" / f"aws-lambda-cpp-{AWS_LAMBDA_CPP_VERSION}"
    if not (source / "CMakeLists.txt").is_file():
        raise BuildError(f"{member} did not unpack to {source.name}/CMakeLists.txt")
    return source


def _extract(archive: tarfile.TarFile, destination: Path) -> None:
    if hasattr(tarfile, "data_filter"):  # Python 3.12, and 3.8.17+/3.11.4+ backports
        archive.extractall(destination, filter="data")
    else:
        archive.extractall(destination)


def _function(prefix: Path) -> Path:
    """The function built against `prefix`, cached by a hash of its sources and the library."""
    digest = hashlib.sha256((prefix / COMPLETE_MARKER).read_bytes())
    for path in sorted(FUNCTION_SOURCES.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    output = FUNCTION_BUILDS / digest.hexdigest()[:16] / "bootstrap"
    if output.is_file():
        return output
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cpp-function-build-", dir=RUNTIMES_DIR) as scratch:
        build = Path(scratch)
        _run(["cmake", "-S", str(FUNCTION_SOURCES), "-B", str(build),
              "-DCMAKE_BUILD_TYPE=Release", f"-DCMAKE_PREFIX_PATH={prefix}"], "configure the C++ function")
        _run(["cmake", "--build", str(build)], "build the C++ function")
        staged = output.with_name("bootstrap.partial")
        shutil.copyfile(build / "bootstrap", staged)
        staged.chmod(0o755)
        staged.replace(output)
    return output


def _run(command: list[str], what: str, env: dict | None = None) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=STEP_TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired as error:
        raise BuildError(f"could not {what}: `{' '.join(command)}` took over {STEP_TIMEOUT_S} s") from error
    if result.returncode != 0:
        output = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        raise BuildError(f"could not {what}: `{' '.join(command)}` exited {result.returncode}\n{output}")
