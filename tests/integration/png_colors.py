#!/usr/bin/python3
"""Prints what a screenshot (PNG, 8-bit RGB or RGBA, not interlaced) holds, as
JSON: its size, how many pixels are ink (neither white nor the page's
background) and how many are close to each color given as RRGGBB.
Usage: png_colors.py FILE [RRGGBB...]"""
import collections
import json
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        sys.exit(f"{path}: PNG depth {depth} color type {color} interlace {interlace}: not read here")
    bpp = 3 if color == 2 else 4
    raw, stride, prev, rows = zlib.decompress(idat), width * bpp, bytearray(width * bpp), []
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def main():
    path, wanted = sys.argv[1], sys.argv[2:]
    width, height, bpp, rows = pixels(path)
    targets = [tuple(int(w[i:i + 2], 16) for i in (0, 2, 4)) for w in wanted]
    paper = [(255, 255, 255), (0xf3, 0xf5, 0xf8)]  # white, the page's background
    seen = collections.Counter()
    for line in rows:
        seen.update(zip(line[0::bpp], line[1::bpp], line[2::bpp]))
    near = lambda p, q: max(abs(x - y) for x, y in zip(p, q)) <= 24
    ink = sum(n for p, n in seen.items() if not any(near(p, q) for q in paper))
    counts = [sum(n for p, n in seen.items() if near(p, t)) for t in targets]
    print(json.dumps({"width": width, "height": height, "ink": ink,
                      "colors": dict(zip(wanted, counts))}))


main()
