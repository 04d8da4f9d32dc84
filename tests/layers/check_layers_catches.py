#!/usr/bin/env python3
"""Layers.CheckerCatchesEachRule: scripts/check-layers fails, naming file and
line, on a tree that breaks each of its rules, and passes one that breaks none.
Usage: check_layers_catches.py SOURCE_DIR"""
import os
import subprocess
import sys
import tempfile

checker = os.path.join(sys.argv[1], "scripts", "check-layers")
BROKEN = {
    "runtime/store.cpp": '#include "compose/host.h"\n',                # an include pointing up
    "schema/loader.cpp": '#include "cmd/commands.h"\n',                # the CLI included
    "compose/launch.cpp": "int f() { return ::fork(); }\n",           # a kernel call above the back-ends
    "ui/top.cpp": 'const char* p = "/proc/1/status";\n',              # /proc above the back-ends
    "devices/cdi.cpp": 'const char* d = std::getenv("STACK_CDI_DIRS");\n',  # the environment below the CLI
}
FINE = {
    "compose/up.cpp": '#include "runtime/status.h"\n// ::fork() in a comment\nvoid Compose::kill() {}\n',
    "cmd/environment.cpp": 'const char* r = std::getenv("STACK_ROOT");\n',
    "netbridge/linux/firewall.cpp": "int g() { return ::fork(); }\n",
}


def run(files):
    with tempfile.TemporaryDirectory() as root:
        for path, text in files.items():
            os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(root, path), "w") as f:
                f.write(text)
        done = subprocess.run([sys.executable, checker, root], capture_output=True, text=True)
        return done.returncode, done.stdout


failures = []
rc, out = run(FINE)
if rc != 0:
    failures.append(f"a tree that breaks no rule failed:\n{out}")
rc, out = run({**FINE, **BROKEN})
if rc != 1:
    failures.append(f"a broken tree passed (exit {rc}):\n{out}")
for path in BROKEN:
    if f"{path}:1:" not in out:
        failures.append(f"{path} not named:\n{out}")
for line in failures:
    print(line)
print("check-layers: every rule caught" if not failures else f"{len(failures)} rule(s) not caught")
sys.exit(1 if failures else 0)
