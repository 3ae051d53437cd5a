"""Start the app with its caches warming in the background, so the first visitor is not slow.

    python -m geo_core20.ui.warm [streamlit run options]   # = streamlit run app.py [options] + warm-up

Streamlit has no server-start hook for a plain script (``st.App(lifespan=...)`` has one, but it
makes the launcher file the main script, and Streamlit serves ``static/`` next to the main
script). So this launcher runs ``streamlit run app.py`` in its own process, as the CLI does, after
starting a thread that waits for Streamlit's runtime (``st.cache_data`` keeps its values in the
runtime's storage) and then calls ``ui.cache.warm_caches`` for each vintage whose atlas is built:
the very functions the pages call, so the caches it fills are the ones every session reads.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path

from streamlit.runtime import Runtime
from streamlit.web import cli as stcli

from geo_core20 import schema
from geo_core20.ui import cache

APP = Path(__file__).resolve().parents[2] / "app.py"
RUNTIME_WAIT_S = 120.0
_LOG = logging.getLogger("geo_core20.warm")


def wait_for_runtime(timeout: float = RUNTIME_WAIT_S) -> bool:
    """True once Streamlit's runtime exists in this process (the server is starting)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Runtime.exists():
            return True
        time.sleep(0.05)
    return False


def warm_in_background(vintages: tuple[str, ...] = tuple(schema.VINTAGES)) -> threading.Thread:
    """A daemon thread that warms every built vintage once the runtime is up (default first)."""

    def work() -> None:
        if not wait_for_runtime():
            _LOG.warning("Streamlit's runtime did not start; caches not warmed")
            return
        for vintage in sorted(vintages, key=lambda v: v != "2025"):
            if cache.atlas_available(vintage):
                thread = cache.warm_caches(vintage)
                if thread is not None:
                    thread.join()  # one vintage at a time: two cores are shared with the first visitors

    thread = threading.Thread(target=work, name="gc20-warm-start", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    """``streamlit run app.py <argv>`` in this process, with the caches warming meanwhile."""
    args = list(sys.argv[1:] if argv is None else argv)
    warm_in_background()
    sys.argv = ["streamlit", "run", str(APP), *args]
    try:
        stcli.main(prog_name="streamlit")
    except SystemExit as done:
        return int(done.code or 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
