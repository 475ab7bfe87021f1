"""A hostile function: each action tries to break out of its sandbox and reports what happened.

Results are strings: "ok" when the attempt succeeded (a finding), otherwise the error's name
or errno name. The security scenarios assert that every attempt fails.
"""

import ctypes
import errno
import fcntl
import os
import signal
import socket
import termios

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def outcome(attempt):
    try:
        result = attempt()
        return "ok" if result is None else result
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error.errno))
    except Exception as error:  # noqa: BLE001 - reported to the test
        return type(error).__name__


def raw_syscall(number, *args):
    """Calls a system call directly; returns "ok" or the errno name."""
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in args])
    if result == -1:
        return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    return "ok"


def read_file(path):
    with open(path, "rb") as f:
        f.read(1)


def identity(event):
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
    return {
        "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
        "cap_eff": status["CapEff"].strip(), "cap_prm": status["CapPrm"].strip(), "cap_bnd": status["CapBnd"].strip(),
        "no_new_privs": status["NoNewPrivs"].strip(), "seccomp": status["Seccomp"].strip(),
        "setuid0": outcome(lambda: os.setuid(0)),
    }


def host_files(event):
    return {path: outcome(lambda path=path: read_file(path)) for path in event["paths"]}


def host_directories(event):
    return {path: outcome(lambda path=path: os.listdir(path)) for path in event["paths"]}


def processes(event):
    pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    server_pid = event.get("server_pid")
    return {
        "pids": pids,
        "kill_server": outcome(lambda: os.kill(server_pid, 0)) if server_pid else None,
    }


def network(event):
    def connect():
        with socket.create_connection(("127.0.0.1", event["port"]), timeout=2):
            pass
    def outside():
        with socket.create_connection((event.get("host", "10.0.0.1"), 80), timeout=2):
            pass
    return {"host_port": outcome(connect), "outside": outcome(outside)}


def connect(event):
    """Tries each [host, port] of event["targets"]; with "http", a GET / whose body is returned."""
    def attempt(host, port):
        with socket.create_connection((host, port), timeout=event.get("timeout", 3)) as conn:
            if not event.get("http"):
                return None
            conn.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
            return "body:" + data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()
    return {f"{host}:{port}": outcome(lambda host=host, port=port: attempt(host, port))
            for host, port in event["targets"]}


def interfaces(event):
    return {
        "interfaces": sorted(name for _, name in socket.if_nameindex()),
        "resolv_conf": outcome(lambda: open("/etc/resolv.conf").read()),
        "hosts": outcome(lambda: open("/etc/hosts").read()),
    }


def daemon(event):
    """Leaves a detached process behind (double fork, new session) and returns at once."""
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", event["marker"]])
        os._exit(0)
    os.waitpid(pid, 0)
    return {"left_behind": True}


def syscalls(event):
    # x86_64 numbers: the seccomp probe (bubblewrap's technique: call each denied one).
    numbers = {
        "ptrace": 101, "mount": 165, "umount2": 166, "pivot_root": 155, "swapon": 167, "reboot": 169,
        "sethostname": 170, "init_module": 175, "delete_module": 176, "finit_module": 313,
        "kexec_load": 246, "kexec_file_load": 320, "keyctl": 250, "add_key": 248, "request_key": 249,
        "bpf": 321, "perf_event_open": 298, "unshare": 272, "setns": 308, "open_by_handle_at": 304,
        "userfaultfd": 323, "fsopen": 430, "fsmount": 432, "move_mount": 429, "open_tree": 428,
        "process_vm_readv": 310, "clone3": 435,
    }
    results = {name: raw_syscall(number, 0, 0, 0, 0, 0, 0) for name, number in numbers.items()}
    # clone(CLONE_NEWUSER): a new user namespace.
    results["clone_newuser"] = raw_syscall(56, 0x10000000 | signal.SIGCHLD, 0, 0, 0, 0)
    results["unshare_newuser"] = outcome(lambda: os.unshare(0x10000000)) if hasattr(os, "unshare") else raw_syscall(272, 0x10000000)
    results["tiocsti"] = outcome(lambda: fcntl.ioctl(0, termios.TIOCSTI, b"x"))
    return results


def write_task(event):
    return {"var_task": outcome(lambda: open("/var/task/evil.py", "w").write("x"))}


def fill_tmp(event):
    path = "/tmp/fill"
    written = 0
    chunk = b"\0" * (1 << 20)
    try:
        with open(path, "wb") as f:
            while written < event.get("limit_mb", 4096) * (1 << 20):
                f.write(chunk)
                f.flush()
                written += len(chunk)
        result = "ok"
    except OSError as error:
        result = errno.errorcode.get(error.errno, str(error.errno))
    finally:
        if os.path.exists(path):
            os.remove(path)
    return {"fill": result, "written_mb": written >> 20}


def tmp_marker(event):
    if event.get("write"):
        with open("/tmp/marker-" + event["marker"], "w") as f:
            f.write("secret")
    return {"seen": sorted(os.listdir("/tmp"))}


def allocate(event):
    size = event["mb"] << 20
    block = bytearray(size)
    for offset in range(0, size, 4096):  # touch every page
        block[offset] = 1
    return {"allocated_mb": event["mb"]}


def fork_bomb(event):
    children = []
    refused = None
    for _ in range(event.get("max", 5000)):
        try:
            pid = os.fork()
        except OSError as error:
            refused = errno.errorcode.get(error.errno, str(error.errno))
            break
        if pid == 0:
            signal.pause()
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    for pid in children:
        os.waitpid(pid, 0)
    return {"forked": len(children), "refused": refused}


ACTIONS = {
    "allocate": allocate, "fork_bomb": fork_bomb,
    "identity": identity, "host_files": host_files, "host_directories": host_directories,
    "processes": processes, "network": network, "connect": connect, "interfaces": interfaces, "daemon": daemon, "syscalls": syscalls, "write_task": write_task,
    "fill_tmp": fill_tmp, "tmp_marker": tmp_marker,
}


def handler(event, context):
    return ACTIONS[event["action"]](event)
