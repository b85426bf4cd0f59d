#!/usr/bin/env bash
# Set up verilens on Debian/Ubuntu (system packages via apt-get, a .venv with everything),
# then run `verilens check` on the bundled example photos. Idempotent: a second run only
# re-checks what is there and re-runs the demo.
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(
  python3-venv                 # the venv module, if Debian's python3 is the interpreter
  libimage-exiftool-perl       # metadata (exiftool)
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-ukr tesseract-ocr-rus   # OCR of signs
  fonts-dejavu-core            # Cyrillic-capable font for rendered pictures and tests
  poppler-utils                # pdftoppm: PDF report pages to pictures (tests)
  chromium                     # headless browser: PDF reports, web-app tests
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for cand in python3.11 python3.12 python3.13 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PYTHON="$cand"; break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "setup: Python 3.11 or newer is needed" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $PYTHON" >&2
  "$PYTHON" -m venv .venv
fi

stamp=".venv/.verilens-installed"
want="$(cat pyproject.toml | sha256sum | cut -c1-32)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages into .venv (first run takes a few minutes)" >&2
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi

if [ "${VERILENS_SETUP_NO_DEMO:-}" = "1" ]; then
  exit 0
fi

echo "setup: running the demo: verilens check examples/*.jpg --out out/demo" >&2
.venv/bin/verilens check examples/*.jpg --out out/demo
echo
echo "Done. Reports (report.json per photo) and heatmaps are in: $(pwd)/out/demo"
echo "Try: .venv/bin/verilens check --help"
