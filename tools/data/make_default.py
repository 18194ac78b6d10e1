#!/usr/bin/env python3
"""Cut the embedded default dataset out of three public-domain/CC0 photos.

Reads astronaut.png, chelsea.png and coffee.png from a scikit-image wheel's
skimage/data/ folder and writes CIFAR-10-format files (1 label byte, then
3*32*32 bytes CHW, per record): default-train.bin and default-test.bin.
The label is the source photo's index. Train patches come from the left 3/4
of each photo (stride 24), test patches from the right 1/4 (stride 32), so
the two splits never share a pixel. Stdlib only, so the output is the same
bytes on every machine.
"""
import hashlib
import struct
import sys
import zlib
from pathlib import Path

PHOTOS = [
    ("astronaut.png", "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"),
    ("chelsea.png", "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb"),
    ("coffee.png", "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"),
]
PATCH = 32
TRAIN_STRIDE = 24
TEST_STRIDE = 32


def decode_png_rgb8(data):
    """Decodes a non-interlaced 8-bit RGB PNG into rows of bytes."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a png")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = hdr
    if (depth, ctype, interlace) != (8, 2, 0):
        raise SystemExit(f"unsupported png: depth {depth} colour type {ctype} interlace {interlace}")
    raw = zlib.decompress(b"".join(idat))
    bpp, stride = 3, w * 3
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        ftype = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 255
            elif ftype != 0:
                raise SystemExit(f"bad png filter {ftype}")
        rows.append(bytes(line))
        prev = line
    return w, h, rows


def record(label, rows, x0, y0):
    out = bytearray([label])
    for ch in range(3):
        for y in range(y0, y0 + PATCH):
            row = rows[y]
            out.extend(row[(x0 + x) * 3 + ch] for x in range(PATCH))
    return bytes(out)


def main():
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    train, test = bytearray(), bytearray()
    for label, (name, sha) in enumerate(PHOTOS):
        data = (src / name).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:
            raise SystemExit(f"{name}: sha256 mismatch, expected {sha}")
        w, h, rows = decode_png_rgb8(data)
        split = w * 3 // 4
        n_train = n_test = 0
        for y0 in range(0, h - PATCH + 1, TRAIN_STRIDE):
            for x0 in range(0, split - PATCH + 1, TRAIN_STRIDE):
                train += record(label, rows, x0, y0)
                n_train += 1
        for y0 in range(0, h - PATCH + 1, TEST_STRIDE):
            for x0 in range(split, w - PATCH + 1, TEST_STRIDE):
                test += record(label, rows, x0, y0)
                n_test += 1
        print(f"{name}: {w}x{h}, split at x={split}: {n_train} train, {n_test} test patches")
    dst.mkdir(parents=True, exist_ok=True)
    (dst / "default-train.bin").write_bytes(bytes(train))
    (dst / "default-test.bin").write_bytes(bytes(test))
    for f in ["default-train.bin", "default-test.bin"]:
        b = (dst / f).read_bytes()
        print(f"{f}: {len(b) // (1 + 3 * PATCH * PATCH)} records, sha256 {hashlib.sha256(b).hexdigest()}")


if __name__ == "__main__":
    main()
