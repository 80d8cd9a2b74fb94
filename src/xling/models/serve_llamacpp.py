"""llama.cpp's OpenAI-compatible server on 127.0.0.1, for a judge or a model reached over HTTP.

``python -m xling.models.serve_llamacpp gemma3-270m --port 8080`` serves the GGUF (a file, or
``gemma3-270m``) until interrupted; ``oai-chat:http://127.0.0.1:8080/v1#gemma`` then talks to it
(the server applies the GGUF's chat template). ``scripts/serve-llamacpp.sh`` runs this.
"""

from __future__ import annotations

import argparse
import signal
import threading

from .llamacpp_lm import start_server
from .model_files import resolve_gguf


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m xling.models.serve_llamacpp", description=__doc__.split("\n")[0])
    parser.add_argument("gguf", help="a GGUF file, or gemma3-270m")
    parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--n-ctx", type=int, default=4096, help="context window per slot, in tokens")
    parser.add_argument("--parallel", type=int, default=1, help="slots answering requests at once")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: the usable cores)")
    args = parser.parse_args(argv)
    server, url = start_server(
        str(resolve_gguf(args.gguf)), n_ctx=args.n_ctx, threads=args.threads, parallel=args.parallel, port=args.port
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"serving {args.gguf} at {url}/v1 (oai-chat:{url}/v1#gemma); Ctrl-C stops it", flush=True)
    stop.wait()
    del server  # stops the server


if __name__ == "__main__":
    main()
