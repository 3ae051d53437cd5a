"""The launcher's Streamlit options (``python -m geo_core20.serve``: ``make run`` and every replica of the
front): the upload limit, and no source-file watching, which cost 0.44 of the 0.54 app CPU-seconds of a
new browser session behind the front (issue 22)."""

from __future__ import annotations

from streamlit import config
from streamlit.watcher import path_watcher

from geo_core20 import front, limits, serve


def _option(argv: list[str], flag: str) -> str | None:
    """The value ``argv`` gives ``flag`` (``--flag value`` or ``--flag=value``), the last one winning."""
    value = None
    for i, arg in enumerate(argv):
        if arg == flag:
            value = argv[i + 1]
        elif arg.startswith(f"{flag}="):
            value = arg.split("=", 1)[1]
    return value


def test_the_launcher_turns_source_watching_off():
    argv = serve.streamlit_argv(["--server.port", "8502"])
    assert _option(argv, "--server.fileWatcherType") == "none"
    assert _option(argv, "--server.maxUploadSize") == str(limits.MAX_UPLOAD_MB)
    assert argv[:3] == ["streamlit", "run", str(serve.APP)] and argv[-2:] == ["--server.port", "8502"]


def test_an_option_given_to_the_launcher_wins_in_either_form():
    for given in (["--server.fileWatcherType", "poll"], ["--server.fileWatcherType=poll"]):
        argv = serve.streamlit_argv(given)
        assert _option(argv, "--server.fileWatcherType") == "poll"
        assert sum(a.startswith("--server.fileWatcherType") for a in argv) == 1
        assert _option(argv, "--server.maxUploadSize") == str(limits.MAX_UPLOAD_MB)


def test_streamlit_knows_the_options_and_none_watches_nothing():
    """A renamed option or value in a new Streamlit would silently bring the watcher back."""
    options = config.get_config_options()  # Streamlit's own registry of options
    for flag in serve.launcher_options():
        assert flag.removeprefix("--") in options
    assert path_watcher.get_path_watcher_class("none") is path_watcher.NoOpPathWatcher


def test_front_replicas_start_through_the_launcher(tmp_path, monkeypatch):
    """Every replica behind the front is ``python -m geo_core20.serve`` (so it gets the options above)."""
    started: list[list[str]] = []

    class Stop(Exception):
        pass

    def popen(cmd, **kwargs):
        started.append(list(cmd))
        raise Stop

    monkeypatch.setattr(front, "nginx_binary", lambda: "/usr/sbin/nginx")
    monkeypatch.setattr(front.subprocess, "Popen", popen)
    try:
        with front.running(1, run_dir=tmp_path):
            pass
    except Stop:
        pass
    assert started and started[0][1:3] == ["-m", "geo_core20.serve"]
