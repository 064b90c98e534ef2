# Shared by bin/start and bin/test: find Python ≥ 3.12 and make the venv current.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  for candidate in python3.13 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  for candidate in /root/.pyenv/versions/3.13*/bin/python3 /root/.pyenv/versions/3.12*/bin/python3 \
                   "$HOME"/.pyenv/versions/3.1[23]*/bin/python3; do
    [ -x "$candidate" ] && { echo "$candidate"; return 0; }
  done
  echo "productops needs Python 3.12 or newer (Django 6)." >&2
  return 1
}

# PRODUCTOPS_VENV=/path/to/venv: use that ready venv as it is (linked as .venv) and install nothing —
# for a second checkout of the same code, e.g. the fresh-clone test, which must not reinstall.
ensure_venv() {
  if [ -n "${PRODUCTOPS_VENV:-}" ]; then
    if [ ! -x "$PRODUCTOPS_VENV/bin/python" ]; then
      echo "PRODUCTOPS_VENV=$PRODUCTOPS_VENV has no bin/python" >&2; return 1
    fi
    [ -e .venv ] || ln -s "$PRODUCTOPS_VENV" .venv
    return 0
  fi
  local requirements="$1" stamp=".venv/.installed-$(basename "$1")"
  if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
  fi
  if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -r "$requirements"
    touch "$stamp"
  fi
}

# Collect the static files (hashed names, brotli + gzip copies) that WhiteNoise serves when DEBUG
# is off; only when a source file or a requirement (admin, Swagger UI assets) is newer than the manifest.
ensure_static() {
  local manifest="staticfiles/staticfiles.json"
  if [ ! -f "$manifest" ] || [ requirements.txt -nt "$manifest" ] ||
     [ -n "$(find static productops/settings.py -newer "$manifest" -print -quit)" ]; then
    echo "Collecting static files (compressed, hashed names)…"
    .venv/bin/python manage.py collectstatic --noinput --clear -v 0
  fi
}
