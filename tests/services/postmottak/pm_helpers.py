"""Helpers shared by the postmottak tests (plain functions, imported by name)."""

from __future__ import annotations


def make_eml(subject: str, body: str, *, sender: str = "kari.nordmann@gmail.com", headers: dict | None = None,
             message_id: str = "<fast-1@example.test>", date: str = "Tue, 01 Apr 2025 09:00:00 +0200") -> bytes:
    lines = [f"From: Kari Nordmann <{sender}>", "To: postmottak@demo.kommune.test", f"Subject: {subject}",
             f"Date: {date}", f"Message-ID: {message_id}", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode("utf-8")
