#!/usr/bin/env python3
"""Checks the pictures of 'earlyrandom report --svg/--html' the way a reader would meet them.

  check-picture.py structure SVG LOG...   the SVG parses, has one row per process of the logs
                                          (or says which rows fold several), one mark per record,
                                          each in the row of its process
  check-picture.py html HTML SVG          the page holds the same picture, the tables and the
                                          blind spots, and asks nothing from the network
  check-picture.py png PNG W H [#rrggbb]...
                                          a browser's screenshot: W x H pixels, not blank, and
                                          every colour given appears in it
  check-picture.py shot PNG SVG           a browser's screenshot of SVG: its size, not blank,
                                          and the colour of every kind of mark it draws shows
                                          in the plot, between the labels and the legend
  check-picture.py biglog FILE            writes a log of 3000 records from 400 processes

Prints what it found; exits 0 when everything holds, 1 otherwise. Needs only python3.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET
import zlib

SVG = "{http://www.w3.org/2000/svg}"
failures = 0


def check(ok, what):
    global failures
    print(("PASS " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def records_of(path):
    """The request and hang records of a log, found the way a person would: JSON Lines, or the
    JSON after 'earlyrandom: ' or 'earlyrandom[PID]: ' in a kernel log or journal dump, with the
    kernel's \\xHH escapes undone."""
    out = []
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", "surrogateescape").rstrip("\n")
            m = re.search(r"earlyrandom(\[\d+\])?: (\{.*)", line)
            text = m.group(2) if m else line.strip()
            if not text.startswith("{"):
                continue
            if m:
                text = re.sub(r"\\x([0-9a-fA-F]{2})", lambda h: chr(int(h.group(1), 16)), text)
            try:
                rec = json.loads(text)
            except ValueError:
                continue
            if rec.get("event") in ("request", "hang"):
                out.append(rec)
    return out


def structure(svg_path, logs):
    recs = [r for log in logs for r in records_of(log)]
    procs = {}
    for r in recs:
        key = (r.get("exe", "?"), int(r.get("pid", 0)))
        procs[key] = procs.get(key, 0) + 1
    tree = ET.parse(svg_path)
    root = tree.getroot()
    check(root.tag == SVG + "svg", "the document is an SVG picture")
    rows = [g for g in root.iter(SVG + "g") if g.get("class") == "row"]
    marks = [e for e in root.iter() if (e.get("class") or "").split()[:1] == ["mark"]]
    folded = sum(int(r.get("data-processes")) for r in rows)
    print(f"     {len(recs)} records from {len(procs)} processes in the logs; "
          f"{len(marks)} marks in {len(rows)} rows standing for {folded} processes")
    check(folded == len(procs), "the rows stand for every process of the logs, each once")
    check(len(marks) == len(recs), "one mark per record")
    check(all(m.find(SVG + "title") is not None and m.find(SVG + "title").text for m in marks),
          "every mark has its record's details in a tooltip")
    single = [r for r in rows if r.get("data-pid") is not None]
    if len(rows) == len(procs):
        check(len(single) == len(procs), "one row per process")
    ok = True
    for row in single:
        key = (row.get("data-exe"), int(row.get("data-pid")))
        n = len([e for e in row.iter() if (e.get("class") or "").split()[:1] == ["mark"]])
        if procs.get(key) != n or int(row.get("data-records")) != n:
            print(f"     row {key!r}: {n} marks, the log has {procs.get(key)} records")
            ok = False
    check(ok, "each process's row holds exactly its records (program names read back intact)")
    kinds = {(m.get("class") or "").split()[1] for m in marks}
    print("     mark kinds:", " ".join(sorted(kinds)))
    waits = [r for r in recs if float(r.get("waited_ms", 0)) > 0]
    bars = [m for m in marks if "wait" in (m.get("class") or "").split()]
    check(len(bars) <= len(waits), "no bar without a wait")
    notes = " ".join(t.text or "" for t in root.iter(SVG + "text") if t.get("class") == "note")
    if folded != len(rows):
        check("folded" in notes, "the picture says that rows were folded")
    return root


def html(html_path, svg_path):
    with open(html_path, encoding="utf-8") as f:
        page = f.read()
    with open(svg_path, encoding="utf-8") as f:
        svg = f.read()
    svg_body = svg[svg.index("<svg"):]
    check(svg_body in page, "the page holds the very same picture")
    for word in ("Requests per program", "Boot audit", "Blind spots", "This log cannot show"):
        check(word in page, f"the page has '{word}'")
    outside = re.findall(r"""(?:\bsrc\s*=|\bhref\s*=|url\(|@import|<link\b|<script\b|<iframe\b)""",
                         page, re.I)
    check(not outside, "the page loads nothing else (no src, href, url(), link or script)")
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page)) - {"http://www.w3.org/2000/svg"}
    check(not urls, "no address but the SVG namespace")


def png_pixels(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h = int.from_bytes(hdr[0:4], "big"), int.from_bytes(hdr[4:8], "big")
    depth, ctype, interlace = hdr[8], hdr[9], hdr[12]
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"PNG kind not read here: depth {depth} colour type {ctype}")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    i = 0
    for _ in range(h):
        ftype = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if ftype == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif ftype == 2:
            for x in range(stride):
                line[x] = (line[x] + prev[x]) & 255
        elif ftype == 3:
            for x in range(stride):
                left = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 255
        elif ftype == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def png(path, want_w, want_h, colours):
    w, h, bpp, rows = png_pixels(path)
    check((w, h) == (want_w, want_h), f"the screenshot is {want_w}x{want_h} (got {w}x{h})")
    seen = {}
    for row in rows:
        for x in range(0, len(row), bpp):
            px = row[x:x + 3]
            seen[px] = seen.get(px, 0) + 1
    white = seen.get(b"\xff\xff\xff", 0)
    inked = w * h - white
    print(f"     {len(seen)} distinct colours, {inked} of {w * h} pixels not white")
    check(inked > w * h // 100, "not blank: more than 1% of the pixels are drawn")
    check(len(seen) >= 16, "not blank: text and marks give many colours")
    for c in colours:
        px = bytes.fromhex(c.lstrip("#"))
        check(seen.get(px, 0) >= 20, f"the colour {c} is drawn ({seen.get(px, 0)} pixels)")


def shot(png_path, svg_path):
    root = ET.parse(svg_path).getroot()
    w, h = int(root.get("width")), int(root.get("height"))
    png(png_path, w, h, [])
    _, _, bpp, rows = png_pixels(png_path)
    plot_x0 = min(float(e.get("x")) for e in root.iter(SVG + "rect")
                  if (e.get("class") or "").startswith("mark"))
    mark_rects = [e for e in root.iter(SVG + "rect") if (e.get("class") or "").startswith("mark")]
    top = int(min(float(e.get("y")) for e in mark_rects))
    legend_y = max(float(e.get("y")) + float(e.get("height")) for e in mark_rects)
    fills = sorted({e.get("fill") for e in root.iter(SVG + "rect")
                    if (e.get("class") or "").startswith("mark")})
    for c in fills:
        px = bytes.fromhex(c.lstrip("#"))
        n = 0
        for y in range(top, min(h, int(legend_y) + 1)):
            row = rows[y]
            for x in range(int(plot_x0) * bpp, len(row), bpp):
                n += row[x:x + 3] == px
        check(n >= 9, f"marks of colour {c} show in the plot ({n} pixels)")


def biglog(path):
    """400 processes of 30 programs, 3000 records: 350 processes whose requests are all trivial
    (after init, passed at once), 50 of 10 programs that waited, got weak bytes or EAGAIN."""
    base = 5000.0
    with open(path, "w") as f:
        n = 0
        for p in range(400):
            trivial = p >= 50
            exe = f"/usr/bin/daemon{p % 20}" if trivial else f"/usr/sbin/early{p % 10}"
            for k in range(7 if trivial else 11):
                if n == 3000:
                    break
                t = base + p * 3 + k * 0.5
                if trivial:
                    act, pool, waited = "pass", "initialized", 0.0
                else:
                    act = ("block", "weak", "eagain")[k % 3]
                    pool, waited = "uninitialized", (40.0 if act == "block" else 0.0)
                rec = {"time": "2026-11-23T06:00:00.000000Z", "boot_ms": round(t, 3),
                       "event": "request", "pid": 1000 + p, "tid": 1000 + p, "exe": exe,
                       "api": "getrandom", "bytes": 16, "flags": "0", "policy": "block",
                       "pool": pool, "kernel_pool": "initialized", "action": act,
                       "waited_ms": waited, "result": 16}
                f.write(json.dumps(rec) + "\n")
                n += 1
        assert n == 3000, n


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "structure":
        structure(args[0], args[1:])
    elif cmd == "html":
        html(args[0], args[1])
    elif cmd == "png":
        png(args[0], int(args[1]), int(args[2]), args[3:])
    elif cmd == "shot":
        shot(args[0], args[1])
    elif cmd == "biglog":
        biglog(args[0])
        return 0
    else:
        print(__doc__)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
