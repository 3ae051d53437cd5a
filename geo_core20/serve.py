"""Start the app with its caches warming in the background, so the first visitor is not slow.

    python -m geo_core20.serve [streamlit run options]   # = streamlit run app.py [options] + warm-up

Streamlit has no server-start hook for a plain script (``st.App(lifespan=...)`` has one, but it
makes the launcher file the main script, and Streamlit serves ``static/`` next to the main
script). So this launcher runs ``streamlit run app.py`` in its own process, as the CLI does, after
starting a thread that waits for Streamlit's runtime (``st.cache_data`` keeps its values in the
runtime's storage) and then calls ``ui.cache.warm_caches`` for each vintage whose atlas is built:
the very functions the pages call, so the caches it fills are the ones every session reads.

It lives outside ``geo_core20.ui`` and imports no Streamlit module before the CLI has run:
importing the ui package first would read Streamlit's config before the CLI sets it from its
flags and declare the map component before the runtime exists (the map then never draws).
Streamlit is started as a program (``runpy``), as ``python -m streamlit`` would be.
"""

from __future__ import annotations

import logging
import runpy
import sys
import threading
import time
from pathlib import Path

from geo_core20 import limits, schema

APP = Path(__file__).resolve().parents[1] / "app.py"
RUNTIME_WAIT_S = 120.0
_LOG = logging.getLogger("geo_core20.warm")


def wait_for_runtime(timeout: float = RUNTIME_WAIT_S) -> bool:
    """True once Streamlit's runtime exists in this process (the server is starting)."""
    from streamlit.runtime import Runtime  # here, not at the top: see the module docstring

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Runtime.exists():
            return True
        time.sleep(0.05)
    return False


def register_components(module_names: set[str]) -> int:
    """Register the custom components (streamlit-folium's map) those modules declared.

    ``components.declare_component`` registers a component with the runtime only when it runs
    inside a script run; imported here, in the warm-up thread, it would not be, and the browser
    would get 404 for the map's iframe. Returns how many were registered.
    """
    from streamlit.components.v1.custom_component import CustomComponent
    from streamlit.runtime import get_instance

    registry = get_instance().component_registry
    found = {id(v): v for name in module_names if (mod := sys.modules.get(name)) is not None
             for v in list(vars(mod).values()) if isinstance(v, CustomComponent)}
    for component in found.values():
        registry.register_component(component)
    return len(found)


def warm_in_background(vintages: tuple[str, ...] = tuple(schema.VINTAGES)) -> threading.Thread:
    """A daemon thread that warms every built vintage once the runtime is up (default first)."""

    def work() -> None:
        if not wait_for_runtime():
            _LOG.warning("Streamlit's runtime did not start; caches not warmed")
            return
        before = set(sys.modules)
        from geo_core20.ui import cache  # only once the server runs: see the module docstring

        register_components(set(sys.modules) - before)
        from geo_core20.uploads import worker

        worker.warm()  # the upload reader's process starts with the server (it imports GDAL et al.)

        for vintage in sorted(vintages, key=lambda v: v != schema.DEFAULT_VINTAGE):
            if cache.atlas_available(vintage):
                thread = cache.warm_caches(vintage)
                if thread is not None:
                    thread.join()  # one vintage at a time: two cores are shared with the first visitors

    thread = threading.Thread(target=work, name="gc20-warm-start", daemon=True)
    thread.start()
    return thread


def launcher_options() -> dict[str, str]:
    """The options this launcher gives Streamlit (read at run time), each unless ``args`` name it.

    - ``server.maxUploadSize``: the upload limit from ``limits``.
    - ``server.fileWatcherType none``: no watching of the app's source files. With a watcher, the end
      of every script run walks all ~5,000 imported modules (``realpath`` each) to watch the new ones,
      and each new session registers its own watchers: 0.44 of the 0.54 app CPU-seconds a new
      browser session cost behind the front (py-spy, issue 22). A served app never changes under
      its users (``runOnSave`` is off); ``streamlit run app.py`` still watches while developing.
    """
    return {"--server.maxUploadSize": str(limits.MAX_UPLOAD_MB), "--server.fileWatcherType": "none"}


def streamlit_argv(args: list[str]) -> list[str]:
    """The ``streamlit run`` command line: the app, ``launcher_options()``, then ``args`` (an option
    given explicitly among them wins)."""
    own = [part for flag, value in launcher_options().items()
           if not any(a == flag or a.startswith(f"{flag}=") for a in args) for part in (flag, value)]
    return ["streamlit", "run", str(APP), *own, *args]


def main(argv: list[str] | None = None) -> int:
    """``streamlit run app.py <argv>`` in this process, with the caches warming meanwhile."""
    args = list(sys.argv[1:] if argv is None else argv)
    warm_in_background()
    sys.argv = streamlit_argv(args)
    try:
        runpy.run_module("streamlit", run_name="__main__", alter_sys=True)
    except SystemExit as done:
        return int(done.code or 0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
