#!/usr/bin/env node
// Draws Switchyard's icons as PNG files in build/icons (plain Node: zlib + a PNG writer). The files are
// committed; run this again only to change the drawing. electron-builder derives .ico/.icns from icon.png.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'build', 'icons');

function crc32(buf) {
  let c;
  const table = [];
  for (let n = 0; n < 256; n++) {
    c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  let crc = 0xffffffff;
  for (const b of buf) crc = table[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(size, pixel) {
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x / size, y / size);
      raw.set([r, g, b, a], y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** A rounded grey tile with a busbar and three feeders; `accent` colours the feeders (attention state). */
const drawing = (accent) => (u, v) => {
  const r = 0.18;
  const dx = Math.max(0, Math.abs(u - 0.5) - (0.5 - r) + 0.02);
  const dy = Math.max(0, Math.abs(v - 0.5) - (0.5 - r) + 0.02);
  if (Math.hypot(dx, dy) > r) return [0, 0, 0, 0];
  const bar = v > 0.3 && v < 0.37 && u > 0.16 && u < 0.84;
  const feeder = [0.28, 0.5, 0.72].some((x) => Math.abs(u - x) < 0.035) && v >= 0.33 && v < 0.74;
  const breaker = [0.28, 0.5, 0.72].some((x) => Math.abs(u - x) < 0.07) && v > 0.5 && v < 0.6;
  const mains = Math.abs(u - 0.5) < 0.035 && v > 0.14 && v <= 0.33;
  if (breaker) return [...accent, 255];
  if (bar || feeder || mains) return [240, 240, 240, 255];
  return [70, 70, 70, 255];
};

fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'icon.png'), png(512, drawing([200, 200, 200])));
fs.writeFileSync(path.join(out, 'tray.png'), png(32, drawing([200, 200, 200])));
fs.writeFileSync(path.join(out, 'tray-attention.png'), png(32, drawing([220, 30, 30])));
console.log(`icons written to ${out}`);
