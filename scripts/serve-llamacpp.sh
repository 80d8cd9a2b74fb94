#!/usr/bin/env bash
# llama.cpp's OpenAI-compatible server on 127.0.0.1 (default: Gemma-3-270M on port 8080), e.g. as
# an LLM judge: xling run ... --judge oai-chat:http://127.0.0.1:8080/v1#gemma
# Usage: scripts/serve-llamacpp.sh [GGUF|gemma3-270m] [--port N] [--n-ctx N] [--parallel N] [--threads N]
set -euo pipefail
model="${1:-gemma3-270m}"
[[ $# -gt 0 ]] && shift
exec python -m xling.models.serve_llamacpp "$model" "$@"
