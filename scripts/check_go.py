"""Lint the project's Go code: `gofmt -l` must list nothing and `go vet` must pass, per module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kit.errors import KitError
from kit.toolchain import find_toolchain

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    try:
        tc = find_toolchain()
    except KitError as exc:
        print(f"check_go: {exc}", file=sys.stderr)
        return 2
    modules = sorted(
        p.parent
        for p in ROOT.rglob("go.mod")
        if ".venv" not in p.parts and "node_modules" not in p.parts
    )
    failed = False
    for module in modules:
        rel = module.relative_to(ROOT)
        fmt = subprocess.run(
            [str(tc.gofmt), "-l", "."], cwd=module, capture_output=True, text=True, check=False
        )
        if fmt.returncode != 0 or fmt.stdout.strip():
            failed = True
            print(f"gofmt: files in {rel} need formatting:\n{fmt.stdout}{fmt.stderr}")
        vet = tc.run("vet", "./...", cwd=module)
        if vet.returncode != 0:
            failed = True
            print(f"go vet failed in {rel}:\n{vet.stderr}{vet.stdout}")
        else:
            print(f"go: {rel} is gofmt-clean and vets")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
