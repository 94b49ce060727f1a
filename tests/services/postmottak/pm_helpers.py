"""Helpers shared by the postmottak tests (plain functions, imported by name)."""

from __future__ import annotations


def make_eml(
    subject: str,
    body: str,
    *,
    sender: str = "kari.nordmann@gmail.com",
    headers: dict | None = None,
    message_id: str = "<fast-1@example.test>",
    date: str = "Tue, 01 Apr 2025 09:00:00 +0200",
) -> bytes:
    lines = [
        f"From: Kari Nordmann <{sender}>",
        "To: postmottak@demo.kommune.test",
        f"Subject: {subject}",
        f"Date: {date}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode("utf-8")


def make_msg(props: dict[str, str]) -> bytes:
    """A minimal Outlook .msg: an OLE compound file (CFB v3) whose root holds one UTF-16 stream per MAPI
    property (``{"0037": subject, ...}`` → ``__substg1.0_0037001F``). Streams are padded with NULs to
    4096 bytes so they live in ordinary sectors (no mini stream needed). Written here because no .msg
    writer is available offline; olefile (what the product uses) reads it like any other CFB file."""
    import struct

    sector = 512
    end, free, fatsect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    streams = []
    for prop, value in props.items():
        data = value.encode("utf-16-le")
        if len(data) < 4096:
            data += b"\x00" * (4096 - len(data))
        streams.append((f"__substg1.0_{prop}001F", data))
    # CFB orders siblings by name length, then by upper-cased name
    streams.sort(key=lambda s: (len(s[0]), s[0].upper()))
    body, fat, starts = b"", [], []
    for _name, data in streams:
        n = (len(data) + sector - 1) // sector
        first = len(fat)
        starts.append(first)
        fat += [first + i + 1 for i in range(n - 1)] + [end]
        body += data + b"\x00" * (n * sector - len(data))
    entries = len(streams) + 1
    dir_sectors = (entries * 128 + sector - 1) // sector
    dir_start = len(fat)
    fat += [dir_start + i + 1 for i in range(dir_sectors - 1)] + [end]

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", nostream, right, child)
            + b"\x00" * 16
            + b"\x00" * 4
            + b"\x00" * 16
            + struct.pack("<IQ", start, size)
        )

    dirs = entry("Root Entry", 5, 1, nostream, end, 0)
    for i, (name, data) in enumerate(streams):
        dirs += entry(name, 2, nostream, i + 2 if i + 1 < len(streams) else nostream, starts[i], len(data))
    dirs = dirs.ljust(dir_sectors * sector, b"\x00")
    fat_start = len(fat)
    fat_sectors = 1
    while (len(fat) + fat_sectors) * 4 > fat_sectors * sector:
        fat_sectors += 1
    fat += [fatsect] * fat_sectors
    fat_bytes = b"".join(struct.pack("<I", x) for x in fat).ljust(fat_sectors * sector, b"\xff")
    difat = [fat_start + i for i in range(fat_sectors)] + [free] * (109 - fat_sectors)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, fat_sectors, dir_start, 0, 4096, end, 0, end, 0)
        + b"".join(struct.pack("<I", x) for x in difat)
    )
    return header + body + dirs + fat_bytes
