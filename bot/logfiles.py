"""The services' log files under ``LOG_DIR``: daily rotation, retention, erasure, no full addresses.

`make run` sends each service's output to ``LOG_DIR/<service>.log`` (see :mod:`bot.stack`). The
services keep their file open in append mode, so rotation copies the day's content to
``<service>.log.<YYYY-MM-DD>`` and then truncates the live file ("copytruncate", as logrotate does
for programs that cannot reopen their logs): the next line a service writes lands at the start of
the empty file. Rotated files older than ``LOG_RETENTION_DAYS`` are deleted, like conversations.

Client addresses are never written whole: the gateway's access log keeps only the network part
(:func:`anonymize_address`), and rotation masks any IPv4 address left in older lines.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from aiohttp.abc import AbstractAccessLogger

ROTATED = re.compile(r"^(?P<name>.+\.log)\.(?P<day>\d{4}-\d{2}-\d{2})$")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)"
_IPV4 = re.compile(rf"(?<![\d.])({_OCTET}\.{_OCTET}\.{_OCTET})\.{_OCTET}(?![\d.])")


def anonymize_address(address: str | None) -> str:
    """The network an address belongs to, not the address: IPv4 /24, IPv6 /48 (``-`` if none)."""
    if not address:
        return "-"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "?"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def mask_addresses(text: str) -> str:
    """``text`` with the last byte of every IPv4 address replaced by 0."""
    return _IPV4.sub(r"\1.0", text)


class AccessLogger(AbstractAccessLogger):
    """The gateway's access log: method, path (no query string), status, size, duration, and
    the client's network rather than its address. No Referer or User-Agent: a partner page's
    address may carry personal data, and neither is needed to run the service."""

    def log(self, request, response, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %s %.3f",
            anonymize_address(request.remote),
            request.method,
            request.path,
            response.status,
            response.body_length,
            time,
        )


@dataclass(frozen=True)
class RotationReport:
    """What one rotation did."""

    rotated: list[str]
    deleted: list[str]


def _rotated_day(path: Path) -> date | None:
    match = ROTATED.match(path.name)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group("day"))
    except ValueError:
        return None


def rotate(log_dir: Path, today: date, keep_days: int) -> RotationReport:
    """Move each ``*.log``'s content to ``*.log.<today>`` (addresses masked) and delete rotated
    files older than ``keep_days``."""
    rotated: list[str] = []
    deleted: list[str] = []
    if not log_dir.is_dir():
        return RotationReport(rotated, deleted)
    for live in sorted(log_dir.glob("*.log")):
        with live.open("r+b") as handle:
            content = handle.read()
            if not content:
                continue
            target = live.with_name(f"{live.name}.{today.isoformat()}")
            masked = mask_addresses(content.decode("utf-8", "replace"))
            with target.open("a", encoding="utf-8") as out:
                out.write(masked)
            # Lines written between the read and the truncation are lost: a few milliseconds
            # once a day, the price of not restarting the services.
            handle.truncate(0)
        rotated.append(target.name)
    oldest = today - timedelta(days=keep_days)
    for path in sorted(log_dir.iterdir()):
        day = _rotated_day(path)
        if day is not None and day < oldest:
            path.unlink()
            deleted.append(path.name)
    return RotationReport(rotated, deleted)


def erase(log_dir: Path, needle: str) -> int:
    """Remove every line mentioning ``needle`` (a conversation id) from the live and rotated
    logs; returns how many lines went."""
    if not needle or not log_dir.is_dir():
        return 0
    removed = 0
    for path in sorted(log_dir.iterdir()):
        if not (path.suffix == ".log" or _rotated_day(path)) or not path.is_file():
            continue
        with path.open("r+b") as handle:
            lines = handle.read().split(b"\n")
            kept = [line for line in lines if needle.encode() not in line]
            if len(kept) == len(lines):
                continue
            removed += len(lines) - len(kept)
            # In place (not a new file): a service appending to its live log keeps its handle.
            handle.seek(0)
            handle.write(b"\n".join(kept))
            handle.truncate()
    return removed
