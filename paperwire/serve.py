"""Preview a site: build it, serve it on 127.0.0.1, rebuild on change, reload open pages.

The server maps each request to a path below the output folder at the time
of the request, so a rebuild swapped in by the writer is served at once.
HTML responses (never the built files) get a small script that polls the
build version and reloads the page when it changes.
"""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from typing import Callable

from .errors import ContentError, ContentErrors
from .render.environment import THEME_DIR

VERSION_PATH = "/__paperwire/version"
_RELOAD_SCRIPT = """<script>
(() => {{
  let seen = "{version}";
  async function poll() {{
    try {{
      const response = await fetch("{path}", {{cache: "no-store"}});
      const version = await response.text();
      if (response.ok && version !== seen) {{ location.reload(); return; }}
    }} catch (error) {{ /* the preview server is restarting: try again */ }}
    setTimeout(poll, 500);
  }}
  setTimeout(poll, 500);
}})();
</script>
"""


class BuildVersion:
    """The number of the last good build, shared by the server and the watcher."""

    def __init__(self) -> None:
        self.number = 0
        self.lock = threading.Lock()

    def bump(self) -> None:
        with self.lock:
            self.number += 1


def make_handler(out_dir: Path, version: BuildVersion) -> type[http.server.SimpleHTTPRequestHandler]:
    """Return a request handler serving ``out_dir``, with the reload script in HTML pages."""

    class PreviewHandler(http.server.SimpleHTTPRequestHandler):
        def guess_type(self, path: str) -> str:
            # JSON Feed's own media type, which mimetypes does not know.
            return "application/feed+json" if Path(path).name == "feed.json" else super().guess_type(path)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(out_dir), **kwargs)

        def do_GET(self) -> None:
            if self.path.split("?")[0] == VERSION_PATH:
                self._send(str(version.number).encode(), "text/plain; charset=utf-8")
                return
            target = Path(self.translate_path(self.path))
            if target.is_dir() and self.path.split("?")[0].endswith("/"):
                target = target / "index.html"
            if target.suffix == ".html" and target.is_file():
                body = target.read_bytes()
                script = _RELOAD_SCRIPT.format(version=version.number, path=VERSION_PATH).encode()
                at = body.rfind(b"</body>")
                self._send(body[:at] + script + body[at:] if at >= 0 else body + script, "text/html; charset=utf-8")
                return
            super().do_GET()

        def _send(self, body: bytes, media_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 - signature from the base class
            pass

    return PreviewHandler


def rebuild(content_dir: Path, out_dir: Path, say: Callable[[str], None]) -> bool:
    """Build once; print what went wrong in one line per problem and return whether it worked."""
    from .pipeline import build

    try:
        result = build(content_dir, out_dir)
    except ContentErrors as exc:
        for error in exc.errors:
            say(f"error: {error}")
    except Exception as exc:  # a broken template or anything else: keep serving the last good site
        say(f"error: {type(exc).__name__}: {exc}".splitlines()[0])
    else:
        say(f"built {result.papers} papers in {result.seconds:.2f} s")
        return True
    return False


def serve(content_dir: Path, out_dir: Path, port: int, say: Callable[[str], None] = print) -> int:
    """Build, serve and watch until interrupted; return the exit status."""
    import watchfiles

    version = BuildVersion()
    if not rebuild(content_dir, out_dir, say) and not out_dir.is_dir():
        return 2
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), make_handler(out_dir.resolve(), version))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    say(f"serving {out_dir} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
    watched = [content_dir, THEME_DIR]
    outputs = out_dir.resolve()
    try:
        for _ in watchfiles.watch(*watched, watch_filter=lambda _, path: not _inside(Path(path), outputs),
                                  raise_interrupt=False):
            if rebuild(content_dir, out_dir, say):
                version.bump()
    finally:
        server.shutdown()
        server.server_close()
    return 0


def _inside(path: Path, folder: Path) -> bool:
    """Return whether ``path`` is in ``folder`` or in a build's temporary folder beside it."""
    if path.is_relative_to(folder):
        return True
    return path.is_relative_to(folder.parent) and path.relative_to(folder.parent).parts[0].startswith(".paperwire-")
