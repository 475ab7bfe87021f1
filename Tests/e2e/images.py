"""Container images for Lambent's image-function tests, built and served without Docker.

Plain helpers, no pytest fixtures:

    with LocalRegistry() as registry:
        layout = build_image("lambda-base", lambda_base_rootfs(), **LAMBDA_BASE_CONFIG)
        digest = push(layout, registry, "fn/lambda-base", "v1")
        image_uri = registry.image_uri("fn/lambda-base", "v1")    # 127.0.0.1:PORT/fn/lambda-base:v1

Tools, all Debian packages (`apt-get install -y docker-registry umoci skopeo busybox-static`):
  docker-registry  /usr/bin/docker-registry, the CNCF distribution registry v2 (LocalRegistry)
  umoci            builds and unpacks OCI image layouts, rootless (build_image, unpack)
  skopeo           copies images between a layout and a registry (push, pull, inspect)
  busybox-static   /bin/busybox, a static shell and coreutils for the images (busybox_rootfs)
A missing one raises ToolMissing naming its package.

The images: no base image can be downloaded here, so `lambda_base_rootfs()` makes a root
file system from the host: Debian's static busybox, and the host's Python interpreter with
the standard-library modules its Runtime API client needs and every shared library `ldd`
lists (the dynamic loader at its own path), so the function needs nothing from the host.
It is laid out as AWS's Lambda base images are (public.ecr.aws/lambda/python: ENTRYPOINT
/lambda-entrypoint.sh, CMD the handler, WORKDIR /var/task, the runtime at
/var/runtime/bootstrap); LAMBDA_BASE_CONFIG holds its image configuration. `plain_rootfs()`
with PLAIN_CONFIG is an image without those conventions (ENTRYPOINT
["/usr/bin/python3", "/app/main.py"], no CMD, no WORKDIR, no ENV), for ImageConfig overrides.
Both images' handler (functions/image/app.py) returns what it saw: the event, cwd, argv,
selected environment variables, whether / and /tmp are writable, and its uid.

A rootfs is a dict {absolute path: content}; content is bytes or str (a file), Symlink(target)
or Directory(mode). File modes: 0o755 for content starting with "#!" or an ELF header, else
0o644; `modes` in build_image overrides any path.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FUNCTION_DIR = Path(__file__).resolve().parent / "functions" / "image"

REGISTRY_BINARY = "/usr/bin/docker-registry"
BUSYBOX_BINARY = "/bin/busybox"
STARTUP_TIMEOUT_S = 20
STOP_TIMEOUT_S = 5
TOOL_TIMEOUT_S = 300

TOOLS = {  # binary -> Debian package
    "docker-registry": "docker-registry",
    "umoci": "umoci",
    "skopeo": "skopeo",
    "busybox": "busybox-static",
}


class ToolMissing(RuntimeError):
    """A tool these helpers run is not installed; the message names its Debian package."""


class ImageToolError(RuntimeError):
    """A tool (umoci, skopeo, ldd, python) failed; the message holds its command and output."""


@dataclass(frozen=True)
class Symlink:
    """A symbolic link in a rootfs dict, e.g. Symlink("busybox") at /bin/sh."""

    target: str


@dataclass(frozen=True)
class Directory:
    """A (possibly empty) directory in a rootfs dict, e.g. Directory(0o1777) at /tmp."""

    mode: int = 0o755


def require_tool(binary: str, package: str | None = None) -> str:
    """The path of `binary`, or ToolMissing naming the Debian package that ships it."""
    path = binary if os.path.isabs(binary) and os.access(binary, os.X_OK) else shutil.which(binary)
    if not path:
        package = package or TOOLS.get(os.path.basename(binary), os.path.basename(binary))
        raise ToolMissing(f"{binary} not found: install Debian's package with `apt-get install -y {package}`")
    return path


def _run(cmd: list[str], timeout: float = TOOL_TIMEOUT_S, **kwargs) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    except FileNotFoundError:
        require_tool(cmd[0])
        raise
    if proc.returncode != 0:
        raise ImageToolError(
            f"{' '.join(cmd)} exited {proc.returncode}\nstdout: {proc.stdout.strip()}\nstderr: {proc.stderr.strip()}"
        )
    return proc


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- registry


class LocalRegistry:
    """Debian's docker-registry (distribution v2) on 127.0.0.1, plain HTTP, storage in a temp dir.

    A context manager; start() returns self. Attributes once started:
      port      the TCP port
      address   "127.0.0.1:PORT", the registry part of an image reference
      url       "http://127.0.0.1:PORT"
      storage   the storage directory (a temp dir removed on stop, unless given)
    """

    def __init__(self, binary: str = REGISTRY_BINARY, storage: str | Path | None = None):
        self.binary = binary
        self._storage_arg = Path(storage) if storage else None
        self.dir: Path | None = None
        self.storage: Path | None = None
        self.port: int | None = None
        self._proc: subprocess.Popen | None = None
        self._log = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def image_uri(self, repository: str, tag: str = "latest") -> str:
        """`127.0.0.1:PORT/REPOSITORY:TAG`, the ImageUri a function names."""
        return f"{self.address}/{repository}:{tag}"

    def start(self) -> "LocalRegistry":
        require_tool(self.binary, "docker-registry")
        self.dir = Path(tempfile.mkdtemp(prefix="lambent-registry-"))
        self.storage = self._storage_arg or self.dir / "storage"
        self.storage.mkdir(parents=True, exist_ok=True)
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> "LocalRegistry":
        last_error = ""
        for _ in range(3):  # the free port can be taken before the registry binds it
            self.port = free_port()
            config = self.dir / "config.yml"
            config.write_text(
                "version: 0.1\n"
                "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
                f"storage:\n  filesystem:\n    rootdirectory: {self.storage}\n  delete:\n    enabled: true\n"
                f"http:\n  addr: 127.0.0.1:{self.port}\n"
            )
            self._log = open(self.dir / "registry.log", "ab")
            self._proc = subprocess.Popen(
                [self.binary, "serve", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            if self._wait_ready():
                return self
            last_error = self.log()
            self._kill()
        raise RuntimeError(f"docker-registry did not answer GET /v2/ within {STARTUP_TIMEOUT_S}s:\n{last_error}")

    def _wait_ready(self) -> bool:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            try:
                with opener.open(f"{self.url}/v2/", timeout=2) as resp:
                    if resp.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        return False

    def log(self) -> str:
        """What the registry wrote to stdout and stderr."""
        try:
            return (self.dir / "registry.log").read_text(errors="replace")
        except OSError:
            return ""

    def _kill(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._log:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        """Stops the registry and removes its temp directory (with the storage, unless the
        caller named a storage directory)."""
        self._kill()
        self._proc = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "LocalRegistry":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --------------------------------------------------------------------------- building


def _default_mode(content: bytes) -> int:
    return 0o755 if content.startswith((b"#!", b"\x7fELF")) else 0o644


def write_rootfs(root: str | Path, files: dict, modes: dict | None = None) -> None:
    """Writes a rootfs dict under `root`: directories, then files, then symlinks (so that no
    write goes through a symlink of the image)."""
    root = Path(root)
    modes = modes or {}

    def host_path(path: str) -> Path:
        if not path.startswith("/") or ".." in Path(path).parts:
            raise ValueError(f"rootfs paths are absolute with no '..': {path!r}")
        return root / path.lstrip("/")

    def make_parents(target: Path) -> None:
        missing = []
        parent = target.parent
        while not parent.exists():
            missing.append(parent)
            parent = parent.parent
        for directory in reversed(missing):
            directory.mkdir()
            directory.chmod(0o755)

    for path, content in sorted(files.items()):
        if isinstance(content, Directory):
            target = host_path(path)
            make_parents(target)
            target.mkdir(exist_ok=True)
            target.chmod(modes.get(path, content.mode))
    for path, content in sorted(files.items()):
        if isinstance(content, (bytes, str)):
            data = content.encode() if isinstance(content, str) else content
            target = host_path(path)
            make_parents(target)
            if target.is_symlink() or target.exists():
                target.unlink()
            target.write_bytes(data)
            target.chmod(modes.get(path, _default_mode(data)))
    for path, content in sorted(files.items()):
        if isinstance(content, Symlink):
            target = host_path(path)
            make_parents(target)
            if target.is_symlink() or target.exists():
                target.unlink()
            os.symlink(content.target, target)
        elif not isinstance(content, (bytes, str, Directory)):
            raise TypeError(f"{path}: rootfs content is bytes, str, Symlink or Directory, not {type(content)}")


def build_image(
    name: str,
    files: dict,
    modes: dict | None = None,
    entrypoint: list[str] | None = None,
    cmd: list[str] | None = None,
    env: list[str] | None = None,
    workdir: str | None = None,
    architecture: str = "amd64",
    *,
    tag: str = "latest",
    dest: str | Path | None = None,
) -> Path:
    """Builds a one-layer OCI image layout with umoci (no Docker, no root needed) and returns
    the layout's directory, `<dest>/<name>` (dest: by default a new temp dir, which the caller
    removes), holding the image under `tag`.

    files: rootfs dict (see the module doc); modes: {path: mode} overrides. entrypoint, cmd,
    env ("NAME=value" items), workdir: the image config's Entrypoint, Cmd, Env, WorkingDir;
    None leaves the field unset. architecture: the config's architecture (os is linux).
    """
    umoci = require_tool("umoci")
    base = Path(dest) if dest else Path(tempfile.mkdtemp(prefix="lambent-image-"))
    layout = base / name
    bundle = base / f".{name}.bundle"
    if layout.exists():
        shutil.rmtree(layout)
    shutil.rmtree(bundle, ignore_errors=True)
    image = f"{layout}:{tag}"
    _run([umoci, "init", "--layout", str(layout)])
    _run([umoci, "new", "--image", image])
    _run([umoci, "unpack", "--rootless", "--image", image, str(bundle)])
    write_rootfs(bundle / "rootfs", files, modes)
    _run([umoci, "repack", "--image", image, str(bundle)])
    shutil.rmtree(bundle, ignore_errors=True)

    config = [umoci, "config", "--image", image, "--os", "linux", "--architecture", architecture]
    for arg in entrypoint or []:
        config += ["--config.entrypoint", arg]
    for arg in cmd or []:
        config += ["--config.cmd", arg]
    for item in env or []:
        config += ["--config.env", item]
    if workdir is not None:
        config += ["--config.workingdir", workdir]
    _run(config)
    _run([umoci, "gc", "--layout", str(layout)])
    return layout


def _skopeo() -> str:
    return require_tool("skopeo")


def layout_tags(layout: str | Path) -> list[str]:
    """The tags (org.opencontainers.image.ref.name) an OCI layout holds."""
    index = json.loads((Path(layout) / "index.json").read_text())
    return [m["annotations"]["org.opencontainers.image.ref.name"]
            for m in index["manifests"] if "org.opencontainers.image.ref.name" in m.get("annotations", {})]


def push(
    layout: str | Path,
    registry: LocalRegistry | str,
    repository: str,
    tag: str = "latest",
    source_tag: str | None = None,
) -> str:
    """Pushes `oci:<layout>:<source_tag>` to `<registry>/<repository>:<tag>` over plain HTTP
    with skopeo and returns the pushed manifest's digest ("sha256:..."). registry: a
    LocalRegistry or a "host:port" string. source_tag: default `tag` if the layout has it,
    else the layout's only tag (build_image tags "latest")."""
    address = registry.address if isinstance(registry, LocalRegistry) else registry
    if source_tag is None:
        tags = layout_tags(layout)
        source_tag = tag if tag in tags or len(tags) != 1 else tags[0]
    with tempfile.TemporaryDirectory(prefix="lambent-push-") as tmp:
        digest_file = Path(tmp) / "digest"
        _run([
            _skopeo(), "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false",
            "--digestfile", str(digest_file),
            f"oci:{layout}:{source_tag}", f"docker://{address}/{repository}:{tag}",
        ])
        digest = digest_file.read_text().strip()
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        raise ImageToolError(f"skopeo wrote an unexpected digest {digest!r}")
    return digest


def pull(reference: str, dest: str | Path, tag: str = "latest") -> Path:
    """Copies `reference` ("127.0.0.1:PORT/repo:tag" or "...@sha256:...") from a plain-HTTP
    registry into the OCI layout `dest` under `tag`, and returns dest."""
    _run([_skopeo(), "--insecure-policy", "copy", "--quiet", "--src-tls-verify=false",
          f"docker://{reference}", f"oci:{dest}:{tag}"])
    return Path(dest)


def inspect(reference: str, raw: bool = False, config: bool = False) -> dict:
    """`skopeo inspect` of a plain-HTTP registry's image: its summary (Digest, Architecture,
    Os, Layers, Env, ...), or with raw=True its manifest, or with config=True its image
    config (whose "config" holds Entrypoint, Cmd, Env, WorkingDir)."""
    cmd = [_skopeo(), "--insecure-policy", "inspect", "--tls-verify=false"]
    if raw:
        cmd.append("--raw")
    if config:
        cmd.append("--config")
    return json.loads(_run(cmd + [f"docker://{reference}"]).stdout)


def unpack(layout: str | Path, bundle: str | Path, tag: str = "latest") -> Path:
    """`umoci unpack --rootless` of `<layout>:<tag>` into the runtime bundle `bundle` (which
    must not exist), and returns the bundle's rootfs directory. The bundle's config.json is
    an OCI runtime spec: process.args (entrypoint + cmd), process.env, process.cwd."""
    _run([require_tool("umoci"), "unpack", "--rootless", "--image", f"{layout}:{tag}", str(bundle)])
    return Path(bundle) / "rootfs"


def _manifest(layout: Path, tag: str) -> dict:
    index = json.loads((layout / "index.json").read_text())
    for entry in index["manifests"]:
        if entry.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            algo, hexdigest = entry["digest"].split(":", 1)
            return json.loads((layout / "blobs" / algo / hexdigest).read_text())
    raise KeyError(f"{layout} has no tag {tag!r}")


def image_size(layout: str | Path, tag: str = "latest") -> int:
    """The image's compressed size in bytes: its layers plus its config, as pushed."""
    manifest = _manifest(Path(layout), tag)
    return manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])


def rootfs_size(files: dict) -> int:
    """Bytes of file content in a rootfs dict (uncompressed, symlinks and directories 0)."""
    return sum(len(c.encode() if isinstance(c, str) else c) for c in files.values() if isinstance(c, (bytes, str)))


# --------------------------------------------------------------------------- root file systems

BUSYBOX_APPLETS = (
    "sh", "ash", "cat", "echo", "env", "printenv", "ls", "id", "wget", "sleep", "true", "false",
    "test", "[", "mkdir", "rm", "touch", "pwd", "uname", "grep", "head", "tail", "sed", "ps",
)

# What the Runtime API client and the test handler import; packages are copied whole, and
# the probe also makes an HTTP round trip and formats a traceback, for what those import lazily.
PYTHON_MODULES = (
    "json", "urllib.request", "urllib.parse", "http.client", "email.parser", "email.feedparser",
    "importlib", "traceback", "time", "os", "sys",
)

# Left out, with what only they would bring in (their libraries: libssl, libcrypto, liblzma,
# libbz2): the client speaks plain HTTP, and these modules are optional imports of
# urllib.request, hashlib and shutil, which fall back without them.
PYTHON_EXCLUDE = ("ssl", "_ssl", "_hashlib", "lzma", "_lzma", "bz2", "_bz2")

# Directory names never copied from the standard library.
_STDLIB_SKIP = {"__pycache__", "test", "tests", "idle_test", "idlelib", "tkinter", "turtledemo",
                "ensurepip", "lib2to3", "distutils", "pydoc_data", "site-packages", "dist-packages"}

_PROBE = r"""
import importlib, json, os, sys, sysconfig
modules, exclude = json.loads(sys.argv[1])
for name in exclude:
    sys.modules[name] = None  # importing it now raises ImportError, as in the image
for name in modules:
    importlib.import_module(name)

# What the client does at run time imports more (idna and stringprep for a host name,
# linecache and tokenize for a stack trace, email's parsers for headers): do it once,
# against a one-shot HTTP answer on loopback.
import socket, threading, traceback, urllib.request
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(4)
def answer():
    for _ in range(2):
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        conn.close()
threading.Thread(target=answer, daemon=True).start()
url = "http://127.0.0.1:%d/x" % listener.getsockname()[1]
urllib.request.urlopen(url, timeout=10).read()
req = urllib.request.Request(url, data=json.dumps({"a": [1.5, None]}).encode(), method="POST",
                             headers={"Content-Type": "application/json", "X-Y": "z"})
json.loads(urllib.request.urlopen(req, timeout=10).read())
try:
    raise ValueError("probe")
except ValueError as exc:
    traceback.format_tb(exc.__traceback__)
    traceback.format_exc()

files = sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})
files = [f for f in files if os.path.basename(f).split(".")[0] not in exclude]
print(json.dumps({
    "version": "%d.%d" % sys.version_info[:2],
    "stdlib": os.path.realpath(sysconfig.get_paths()["stdlib"]),
    "platstdlib": os.path.realpath(sysconfig.get_paths()["platstdlib"]),
    "dynload": os.path.realpath(sysconfig.get_config_var("DESTSHARED") or ""),
    "files": [os.path.realpath(f) for f in files],
}))
"""


# Compiles {host source: image path} to unchecked-hash .pyc files (valid whatever the
# files' mtimes, as an image's layer leaves them) with the image's own interpreter.
_COMPILE = r"""
import json, py_compile, sys, tempfile, os
out = {}
with tempfile.TemporaryDirectory() as tmp:
    for i, (source, image_path) in enumerate(json.loads(sys.stdin.read()).items()):
        cfile = os.path.join(tmp, str(i))
        py_compile.compile(source, cfile=cfile, dfile=image_path, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        out[image_path] = open(cfile, "rb").read().hex()
print(json.dumps(out))
"""


def _read(path: str | Path) -> bytes:
    return Path(path).read_bytes()


def _image_path(host_path: str) -> str:
    """host_path with its directory resolved through host symlinks (e.g. /lib64 -> /usr/lib64)."""
    return os.path.join(os.path.realpath(os.path.dirname(host_path)), os.path.basename(host_path))


def _symlinked_ancestors(host_path: str) -> dict:
    """Symlink entries for the ancestors of host_path that are symlinks on the host, so that
    the path (e.g. the loader's /lib64/ld-linux-x86-64.so.2) resolves the same in the image."""
    links = {}
    parts = Path(host_path).parts[1:-1]
    for i in range(len(parts)):
        ancestor = "/" + "/".join(parts[: i + 1])
        if os.path.islink(ancestor):
            target = os.readlink(ancestor)
            if os.path.isabs(target):
                target = os.path.relpath(target, os.path.dirname(ancestor))
            links[ancestor] = Symlink(target)
    return links


def shared_libraries(binary: str | Path) -> dict:
    """Every shared library `ldd` lists for `binary` (the loader included), as rootfs
    entries at the paths the loader will look for them."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        if "not a dynamic executable" in out.stdout + out.stderr:
            return {}
        raise ImageToolError(f"ldd {binary}: {out.stderr.strip()}")
    files: dict = {}
    for line in out.stdout.splitlines():
        line = line.strip()
        if "=>" in line:
            target = line.split("=>", 1)[1].strip().split(" (")[0].strip()
            if target == "not found":
                raise ImageToolError(f"ldd {binary}: {line}")
        else:
            target = line.split(" (")[0].strip()
        if not target.startswith("/"):
            continue  # linux-vdso.so.1
        files.update(_symlinked_ancestors(target))
        files[_image_path(target)] = _read(os.path.realpath(target))
    return files


def _default_interpreter() -> str:
    # Debian's python3 (python3.11-minimal, on every machine of this project) is a plain
    # /usr layout whose libraries are all in ld.so's default directories.
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


@lru_cache(maxsize=8)
def _python_rootfs(interpreter: str, modules: tuple[str, ...], exclude: tuple[str, ...], precompile: bool) -> tuple:
    real = os.path.realpath(interpreter)
    probe = _run([real, "-I", "-c", _PROBE, json.dumps([modules, exclude])], timeout=60)
    info = json.loads(probe.stdout)
    version, stdlib, dynload = info["version"], info["stdlib"], info["dynload"]
    image_stdlib = f"/usr/lib/python{version}"
    files: dict = {
        f"/usr/bin/python{version}": _read(real),
        "/usr/bin/python3": Symlink(f"python{version}"),
        # getpath's landmarks: lib/pythonX.Y/os.py (prefix), lib/pythonX.Y/lib-dynload (exec_prefix)
        f"{image_stdlib}/lib-dynload": Directory(),
    }
    files.update(shared_libraries(real))

    sources: dict = {}  # host path -> image path

    def add_tree(directory: str) -> None:
        for dirpath, dirnames, filenames in os.walk(directory):
            dirnames[:] = sorted(d for d in dirnames if d not in _STDLIB_SKIP)
            for filename in filenames:
                if filename.endswith(".py"):
                    host = os.path.join(dirpath, filename)
                    sources[host] = f"{image_stdlib}/{os.path.relpath(host, stdlib)}"

    for host in info["files"]:
        if dynload and host.startswith(dynload + "/"):
            files[f"{image_stdlib}/lib-dynload/{os.path.basename(host)}"] = _read(host)
            files.update(shared_libraries(host))
        elif host.startswith(stdlib + "/"):
            relative = os.path.relpath(host, stdlib)
            top = relative.split("/", 1)[0]
            if top in _STDLIB_SKIP or top.split(".")[0] in exclude:
                continue
            if "/" in relative:  # a module of a package: take the package whole
                add_tree(os.path.join(stdlib, top))
            else:
                sources[host] = f"{image_stdlib}/{relative}"
        # anything else (site-packages, dist-packages, sitecustomize's target) stays out
    for host, image_path in sources.items():
        files[image_path] = _read(host)
    if precompile:
        # __pycache__/<name>.cpython-XY.pyc: the image's root is read-only, so without them
        # every cold start compiles the client's imports again (~0.2 s).
        tag = _run([real, "-I", "-c", "import sys; print(sys.implementation.cache_tag)"]).stdout.strip()
        compiled = json.loads(_run([real, "-I", "-c", _COMPILE], input=json.dumps(sources), timeout=120).stdout)
        for image_path, data in compiled.items():
            directory, filename = os.path.split(image_path)
            files[f"{directory}/__pycache__/{filename[:-3]}.{tag}.pyc"] = bytes.fromhex(data)
    return tuple(files.items())


def python_rootfs(
    modules: tuple[str, ...] = PYTHON_MODULES,
    interpreter: str | None = None,
    exclude: tuple[str, ...] = PYTHON_EXCLUDE,
    precompile: bool = True,
) -> dict:
    """The host's Python interpreter at /usr/bin/python3 (-> pythonX.Y), the standard-library
    modules that importing `modules` loads with `exclude` unimportable (packages whole, minus
    tests and __pycache__; extension modules from lib-dynload) under /usr/lib/pythonX.Y, and
    every shared library they need. interpreter: default Debian's /usr/bin/python3, else
    sys.executable. precompile: add unchecked-hash .pyc files made by that interpreter (the
    host's own __pycache__ is never copied)."""
    key = (interpreter or _default_interpreter(), tuple(modules), tuple(exclude), precompile)
    return dict(_python_rootfs(*key))


def busybox_rootfs(applets: tuple[str, ...] = BUSYBOX_APPLETS) -> dict:
    """Debian's static busybox at /bin/busybox and a /bin/<applet> symlink for each applet."""
    busybox = require_tool(BUSYBOX_BINARY, "busybox-static")
    data = _read(busybox)
    if b"\x7fELF" == data[:4] and subprocess.run(["ldd", busybox], capture_output=True, text=True).returncode == 0:
        raise ToolMissing(f"{busybox} is dynamically linked: install Debian's `busybox-static` package")
    files: dict = {"/bin/busybox": data}
    for applet in applets:
        files[f"/bin/{applet}"] = Symlink("busybox")
    return files


def _skeleton() -> dict:
    """Mount points a sandbox over a read-only image root needs, and the usual empty dirs."""
    return {
        "/tmp": Directory(0o1777),
        "/proc": Directory(),
        "/dev": Directory(),
        "/sys": Directory(),
        "/etc": Directory(),
        "/opt": Directory(),
        "/root": Directory(0o700),
        "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
        "/etc/group": "root:x:0:\nnogroup:x:65534:\n",
    }


def _function_source(name: str) -> str:
    return (FUNCTION_DIR / name).read_text()


def lambda_base_rootfs() -> dict:
    """An image root file system laid out as AWS's Lambda base images are, needing nothing
    from the host: /lambda-entrypoint.sh (AWS's ENTRYPOINT script, minus its RIE branch),
    /var/runtime/bootstrap (a Python Runtime API client), /var/task/app.py (the reporting
    handler, "app.handler"), /usr/bin/python3 with its libraries, and busybox in /bin.
    Build it with LAMBDA_BASE_CONFIG."""
    files = _skeleton()
    files.update(busybox_rootfs())
    files.update(python_rootfs())
    files.update({
        "/lambda-entrypoint.sh": _function_source("lambda-entrypoint.sh"),
        "/var/runtime/bootstrap": "#!/usr/bin/python3\n" + _function_source("bootstrap.py"),
        "/var/task/app.py": _function_source("app.py"),
        "/var/lang/bin": Directory(),
    })
    return files


# The image configuration of AWS's public.ecr.aws/lambda/python images (their Dockerfiles'
# ENV, WORKDIR and ENTRYPOINT) plus CMD ["app.handler"] and IMAGE_VAR, as build_image kwargs.
LAMBDA_BASE_CONFIG = {
    "entrypoint": ["/lambda-entrypoint.sh"],
    "cmd": ["app.handler"],
    "env": [
        "LANG=en_US.UTF-8",
        "TZ=:/etc/localtime",
        "PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
        "LAMBDA_TASK_ROOT=/var/task",
        "LAMBDA_RUNTIME_DIR=/var/runtime",
        "IMAGE_VAR=from-image",
    ],
    "workdir": "/var/task",
}


def plain_rootfs() -> dict:
    """An image without AWS's conventions: /app/main.py is the Runtime API client (handler:
    its first argument, else $_HANDLER, else "app.handler" from /app), /app/app.py the
    reporting handler; Python and busybox as in lambda_base_rootfs. Build it with PLAIN_CONFIG."""
    files = _skeleton()
    files.update(busybox_rootfs())
    files.update(python_rootfs())
    files.update({
        "/app/main.py": _function_source("bootstrap.py"),
        "/app/app.py": _function_source("app.py"),
    })
    return files


PLAIN_CONFIG = {"entrypoint": ["/usr/bin/python3", "/app/main.py"], "cmd": None, "env": None, "workdir": None}


def build_lambda_base_image(name: str = "lambda-base", extra_files: dict | None = None, **kwargs) -> Path:
    """build_image of lambda_base_rootfs() (plus extra_files) with LAMBDA_BASE_CONFIG;
    kwargs override the config or pass tag/dest/architecture."""
    return build_image(name, {**lambda_base_rootfs(), **(extra_files or {})}, **{**LAMBDA_BASE_CONFIG, **kwargs})


def build_plain_image(name: str = "plain", extra_files: dict | None = None, **kwargs) -> Path:
    """build_image of plain_rootfs() (plus extra_files) with PLAIN_CONFIG; kwargs as above."""
    return build_image(name, {**plain_rootfs(), **(extra_files or {})}, **{**PLAIN_CONFIG, **kwargs})
