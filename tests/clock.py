"""Travel to a Beijing-time moment in a test: ``with at("2026-02-10 09:00"): ...``."""

from __future__ import annotations

from datetime import datetime

import time_machine

from dashboard import months


def at(moment: str):
    """The clock stopped at ``moment``, read in the configured zone (Beijing time)."""
    return time_machine.travel(datetime.fromisoformat(moment).replace(tzinfo=months.zone()), tick=False)
