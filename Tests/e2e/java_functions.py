"""Builds Lambent's Java runtime client and Java test functions for the end-to-end tests.

The client (runtime-clients/java/*.java) is compiled the way the server compiles it on first use:

    javac --release 17 -d <dir>/classes -cp <jackson-databind>:<jackson-core>:<jackson-annotations> *.java

plus <dir>/lambent-lambda-java-core.jar holding only the com.amazonaws.services.lambda.runtime
classes (the interfaces functions compile against). Test functions under
Tests/e2e/functions/java/<name>/*.java are compiled against that jar alone, as users compile
against aws-lambda-java-core, and laid out as users deploy them: classes at the zip root, or
lib/<name>.jar.

Everything lands in ~/.cache/lambent-test/java, keyed by a hash of the sources, behind a file
lock so that pytest-xdist workers build each thing once.

    client = client_build()                      # ClientBuild(classes=…, core_jar=…)
    task = function_task("handlers", "classes")  # a directory to use as /var/task
    command = java_command(client, memory_mb=512)
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import math
import os
import shutil
import subprocess
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLIENT_SOURCES = REPO / "runtime-clients" / "java"
FUNCTION_SOURCES = Path(__file__).resolve().parent / "functions" / "java"
CACHE = Path.home() / ".cache" / "lambent-test" / "java"

JACKSON_DIR = Path("/usr/share/java")
JACKSON_JARS = [JACKSON_DIR / name for name in ("jackson-databind.jar", "jackson-core.jar", "jackson-annotations.jar")]
MAIN_CLASS = "lambent.runtime.Main"
CORE_PACKAGE = "com/amazonaws/services/lambda/runtime/"


def unavailable_reason() -> str | None:
    """Why the Java tests cannot run here, or None when they can."""
    for tool in ("javac", "java"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install -y openjdk-17-jdk-headless)"
    missing = [str(jar) for jar in JACKSON_JARS if not jar.is_file()]
    if missing:
        return f"Jackson jars missing: {', '.join(missing)} (apt-get install -y libjackson2-databind-java)"
    return None


def jvm_flags(memory_mb: int) -> list[str]:
    """The JVM options AWS's java17 runtime starts its client with (its command line as observed in
    Lambda, java:17.v14), minus what only exists there: the Log4j hot-patch agent, the CDS archive
    /var/lang/lib/server/runtime.jsa (-Xshare:on → the JDK's own archive, -Xshare:auto) and the
    JNI client's -D path. AWS dropped -Djava.net.preferIPv4Stack=true in later java17 releases."""
    return [
        f"-XX:MaxHeapSize={max_heap_kb(memory_mb)}k",
        "-XX:+UseSerialGC",
        "-Xshare:auto",
        "-XX:+TieredCompilation",
        "-XX:TieredStopAtLevel=1",
        "--add-opens=java.base/java.io=ALL-UNNAMED",
        "-Djava.net.preferIPv4Stack=true",
        "-XX:+ErrorFileToStderr",
    ]


def max_heap_kb(memory_mb: int) -> int:
    """AWS's heap: 85% of the function's memory, or all of it but 240 MB when that is more
    (128 MB → 111412k, 4093 MB → 3945472k, 10238 MB → 10237952k, as observed on java17)."""
    return max(math.ceil(memory_mb * 1024 * 0.85), (memory_mb - 240) * 1024)


@dataclass(frozen=True)
class ClientBuild:
    root: Path

    @property
    def classes(self) -> Path:
        return self.root / "classes"

    @property
    def core_jar(self) -> Path:
        return self.root / "lambent-lambda-java-core.jar"

    def classpath(self) -> str:
        return os.pathsep.join([str(self.classes), *map(str, JACKSON_JARS)])


def java_command(client: ClientBuild, memory_mb: int = 512) -> list[str]:
    """The bootstrap command: `java <AWS's flags> -cp <client>:<jackson> lambent.runtime.Main`."""
    return ["java", *jvm_flags(memory_mb), "-cp", client.classpath(), MAIN_CLASS]


def _digest(paths: list[Path], *extra: str) -> str:
    digest = hashlib.sha256()
    for part in extra:
        digest.update(part.encode() + b"\0")
    for path in sorted(paths):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _javac_version() -> str:
    result = subprocess.run(["javac", "-version"], capture_output=True, text=True, check=True)
    return (result.stdout + result.stderr).strip()


@contextmanager
def _locked(name: str):
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build_once(key: str, build) -> Path:
    """CACHE/key, made by build(scratch_dir) under a lock and renamed into place when complete."""
    target = CACHE / key
    if target.is_dir():
        return target
    with _locked(key):
        if target.is_dir():
            return target
        scratch = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=CACHE))
        try:
            build(scratch)
            scratch.rename(target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def client_build() -> ClientBuild:
    """Lambent's Java client, compiled as the server compiles it."""
    sources = sorted(CLIENT_SOURCES.glob("*.java"))
    key = "client-" + _digest(sources, _javac_version())

    def build(scratch: Path) -> None:
        subprocess.run(
            ["javac", "--release", "17", "-d", str(scratch / "classes"),
             "-cp", os.pathsep.join(map(str, JACKSON_JARS)), *map(str, sources)],
            check=True, capture_output=True, text=True,
        )
        _write_jar(scratch / "lambent-lambda-java-core.jar", scratch / "classes",
                   lambda relative: relative.startswith(CORE_PACKAGE))

    return ClientBuild(_build_once(key, build))


def function_task(name: str, layout: str = "classes") -> Path:
    """Tests/e2e/functions/java/<name> compiled against the core jar, as a task directory:
    layout "classes" puts the classes at its root, "jar" packs them into lib/<name>.jar."""
    if layout not in ("classes", "jar"):
        raise ValueError(f"unknown layout {layout!r}")
    client = client_build()
    sources = sorted((FUNCTION_SOURCES / name).glob("*.java"))
    if not sources:
        raise FileNotFoundError(f"no Java sources in {FUNCTION_SOURCES / name}")
    key = f"function-{name}-{layout}-" + _digest(sources, client.root.name)

    def build(scratch: Path) -> None:
        classes = scratch / "classes-build"
        subprocess.run(
            ["javac", "--release", "17", "-d", str(classes), "-cp", str(client.core_jar), *map(str, sources)],
            check=True, capture_output=True, text=True,
        )
        task = scratch / "task"
        if layout == "classes":
            shutil.copytree(classes, task)
        else:
            (task / "lib").mkdir(parents=True)
            _write_jar(task / "lib" / f"{name}.jar", classes, lambda _relative: True)
        shutil.rmtree(classes)

    return _build_once(key, build) / "task"


def function_zip(name: str, layout: str = "classes") -> bytes:
    """The deployment package users would upload for function_task(name, layout)."""
    task = function_task(name, layout)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(task.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(task).as_posix())
    return buffer.getvalue()


def _write_jar(jar: Path, classes: Path, include) -> None:
    with zipfile.ZipFile(jar, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: Lambent\r\n\r\n")
        for path in sorted(classes.rglob("*.class")):
            relative = path.relative_to(classes).as_posix()
            if include(relative):
                archive.write(path, relative)
