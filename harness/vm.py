#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""vm.py - boot a kernel under QEMU, run one command in it, report back.

The guest shares the host root read-only over virtio-9p and gets a writable
work directory (the 9p share "out") that carries the command in and its
output and exit status back; see guest/init.  The serial console is kept in
<workdir>/console.log and scanned for kernel splats (WARN, BUG, lockdep,
KASAN, ...): a splat fails the run whatever the command said.

Usage as a tool:
    vm.py [--kernel BZIMAGE] [--timeout S] [--append ARGS] [--icount]
          [--smp N] [--workdir DIR] -- COMMAND...
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HARNESS = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("REPO", os.path.dirname(HARNESS))
BUILD = os.environ.get("BUILD", os.path.join(REPO, "build"))

# Kernel console lines that mean something went wrong in the kernel.
SPLAT_PATTERNS = [
    r"------------\[ cut here \]------------",
    r"\bWARNING: .* at ",
    r"\bWARNING: possible ",
    r"\bWARNING: suspicious RCU usage",
    r"\bWARNING: inconsistent lock state",
    r"\bBUG: ",
    r"\bkernel BUG at ",
    r"\bOops: ",
    r"\bKernel panic - ",
    r"\bgeneral protection fault",
    r"\bpossible circular locking dependency",
    r"\bpossible recursive locking detected",
    r"\bDEBUG_LOCKS_WARN_ON",
    r"\bINFO: task .* blocked for more than",
    r"\brcu: INFO: rcu_.* detected stalls",
    r"\bKASAN: ",
    r"\bUBSAN: ",
    r"\blist_(add|del) corruption",
    r"\bkmemleak: .* new suspected memory leaks",
]
SPLAT_RE = re.compile("|".join(SPLAT_PATTERNS))


def default_kernel(kind="test"):
    return os.path.join(BUILD, "obj-" + kind, "arch/x86/boot/bzImage")


def find_splats(console_text):
    """Return the console lines that report a kernel splat."""
    return [l for l in console_text.splitlines() if SPLAT_RE.search(l)]


def _qemu_base(kernel, append, smp, mem_mb, icount, kvm):
    cmd = ["qemu-system-x86_64", "-nodefaults", "-no-reboot",
           "-display", "none", "-monitor", "none",
           "-m", "%dM" % mem_mb,
           # one socket per vCPU: each NUMA node then has its own LLC, as
           # the scheduler's topology checks expect
           "-smp", "%d,sockets=%d,cores=1,threads=1" % (smp, smp),
           "-kernel", kernel, "-append", append]
    if kvm:
        cmd += ["-enable-kvm", "-cpu", "host"]
    else:
        cmd += ["-accel", "tcg", "-cpu", "max"]
    if icount:
        cmd += ["-icount", "shift=2"]
    # Two NUMA nodes, memory split evenly, one vCPU each (when there are two).
    half = mem_mb // 2
    cmd += ["-object", "memory-backend-ram,id=m0,size=%dM" % half,
            "-object", "memory-backend-ram,id=m1,size=%dM" % (mem_mb - half),
            "-numa", "node,nodeid=0,memdev=m0" + (",cpus=0" if smp > 1 else ""),
            "-numa", "node,nodeid=1,memdev=m1" + (",cpus=1-%d" % (smp - 1) if smp > 1 else "")]
    return cmd


_kvm_ok = None


def kvm_usable(kernel):
    """Probe once per machine whether /dev/kvm can boot our kernel.

    The KVM device on these machines is paravirtual and cannot run a stock
    kernel, so a short trial boot decides; the answer is cached in BUILD.
    """
    global _kvm_ok
    if _kvm_ok is not None:
        return _kvm_ok
    cache = os.path.join(BUILD, "kvm-probe")
    if os.environ.get("DAMON_HARNESS_ACCEL") in ("tcg", "kvm"):
        _kvm_ok = os.environ["DAMON_HARNESS_ACCEL"] == "kvm"
        return _kvm_ok
    if os.path.exists(cache):
        _kvm_ok = open(cache).read().strip() == "kvm"
        return _kvm_ok
    _kvm_ok = False
    if os.access("/dev/kvm", os.R_OK | os.W_OK):
        try:
            r = run(["true"], kernel=kernel, timeout=40, kvm=True,
                    append_extra="kunit.enable=0", quiet=True)
            _kvm_ok = r.status == 0 and not r.timed_out
        except Exception:
            _kvm_ok = False
    os.makedirs(BUILD, exist_ok=True)
    with open(cache, "w") as f:
        f.write("kvm\n" if _kvm_ok else "tcg\n")
    return _kvm_ok


class Result:
    def __init__(self, workdir, status, timed_out, elapsed):
        self.workdir = workdir
        self.status = status            # command exit status, None if unknown
        self.timed_out = timed_out
        self.elapsed = elapsed
        self.console = _read(os.path.join(workdir, "console.log"))
        self.output = _read(os.path.join(workdir, "output.log"))
        self.splats = find_splats(self.console)

    @property
    def ok(self):
        return self.status == 0 and not self.timed_out and not self.splats


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def run(command, kernel=None, timeout=600, append_extra="", smp=2,
        mem_mb=4096, icount=False, kvm=None, workdir=None, quiet=False,
        stream=None):
    """Boot @kernel, run @command (argv list or shell string), power off.

    Returns a Result.  @stream, if set, is a file that receives the command's
    output as it is produced.
    """
    kernel = kernel or default_kernel()
    if not os.path.exists(kernel):
        raise FileNotFoundError(kernel)
    if kvm is None:
        kvm = kvm_usable(kernel)
    workdir = workdir or tempfile.mkdtemp(prefix="vm-", dir=_tmp_root())
    os.makedirs(workdir, exist_ok=True)
    for f in ("console.log", "output.log", "exit-status"):
        try:
            os.unlink(os.path.join(workdir, f))
        except FileNotFoundError:
            pass
    if not isinstance(command, str):
        command = " ".join(shlex.quote(c) for c in command)
    with open(os.path.join(workdir, "cmd"), "w") as f:
        f.write(command + "\n")
    with open(os.path.join(workdir, "env"), "w") as f:
        f.write("export PATH=%s\n" % shlex.quote(os.environ.get("PATH", "")))
        for k in ("REPO", "BUILD"):
            f.write("export %s=%s\n" % (k, shlex.quote(globals()[k])))
        # pyenv shims (where pip put damo) find their root through HOME,
        # which is a tmpfs in the guest.
        pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
        if os.path.isdir(pyenv):
            f.write("export PYENV_ROOT=%s\n" % shlex.quote(pyenv))
    append = ("console=ttyS0,115200 root=hostroot rootfstype=9p "
              "rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose "
              "ro init=%s panic=-1 tsc=reliable "
              "no_hash_pointers %s" % (os.path.join(HARNESS, "guest", "init"),
                                       append_extra))
    qemu = _qemu_base(kernel, append, smp, mem_mb, icount, kvm)
    qemu += ["-chardev", "file,id=con,path=%s" % os.path.join(workdir, "console.log"),
             "-serial", "chardev:con",
             "-device", "virtio-rng-pci",
             "-fsdev", "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap",
             "-device", "virtio-9p-pci,fsdev=root,mount_tag=hostroot",
             "-fsdev", "local,id=out,path=%s,security_model=none" % workdir,
             "-device", "virtio-9p-pci,fsdev=out,mount_tag=out"]
    # The repository and build directory again, on their own: when they
    # live under a path the guest covers with a tmpfs (e.g. /tmp), guest/init
    # mounts these over it at the same path.
    for tag, path in (("repo", REPO), ("build", BUILD)):
        qemu += ["-fsdev", "local,id=%s,path=%s,security_model=none,readonly=on,"
                 "multidevs=remap" % (tag, path),
                 "-device", "virtio-9p-pci,fsdev=%s,mount_tag=%s" % (tag, tag)]
    start = time.monotonic()
    proc = subprocess.Popen(qemu, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    timed_out = False
    out_path = os.path.join(workdir, "output.log")
    pos = 0
    while True:
        try:
            proc.wait(timeout=1)
            break
        except subprocess.TimeoutExpired:
            pass
        if stream is not None:
            pos = _pump(out_path, pos, stream)
        if time.monotonic() - start > timeout:
            timed_out = True
            proc.kill()
            proc.wait()
            break
    if stream is not None:
        _pump(out_path, pos, stream)
    qemu_out = proc.stdout.read().decode(errors="replace")
    if qemu_out.strip() and not quiet:
        sys.stderr.write("qemu: " + qemu_out)
    status = None
    try:
        status = int(_read(os.path.join(workdir, "exit-status")).strip())
    except ValueError:
        pass
    return Result(workdir, status, timed_out, time.monotonic() - start)


def _pump(path, pos, stream):
    try:
        with open(path, errors="replace") as f:
            f.seek(pos)
            data = f.read()
    except OSError:
        return pos
    if data:
        stream.write(data)
        stream.flush()
    return pos + len(data.encode())


def _tmp_root():
    d = os.path.join(BUILD, "vm")
    os.makedirs(d, exist_ok=True)
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", default=None)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--append", default="kunit.enable=0")
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--mem", type=int, default=4096)
    ap.add_argument("--icount", action="store_true")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("command", nargs="+")
    a = ap.parse_args()
    r = run(a.command, kernel=a.kernel, timeout=a.timeout,
            append_extra=a.append, smp=a.smp, mem_mb=a.mem, icount=a.icount,
            workdir=a.workdir, stream=sys.stdout)
    for s in r.splats:
        print("vm.py: kernel splat: " + s, file=sys.stderr)
    if r.timed_out:
        print("vm.py: timed out after %ds" % a.timeout, file=sys.stderr)
    print("vm.py: status=%s elapsed=%.1fs workdir=%s" % (r.status, r.elapsed, r.workdir),
          file=sys.stderr)
    sys.exit(0 if r.ok else 1)


if __name__ == "__main__":
    main()
