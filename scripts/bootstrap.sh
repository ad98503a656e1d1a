# Sourced by scripts/run and scripts/test: a Python >= 3.11 virtualenv in .venv with the
# project installed, and Debian packages installed when missing (as root, or with sudo).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "Need root to run: $* (or install it yourself)" >&2; return 1; fi
}

apt_install() {
  echo "Installing $* with apt-get..." >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null && "$candidate" -c \
        'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)." >&2
  return 1
}

ensure_venv() {  # $1: the extras to install, e.g. "" or "[dev]"
  local python stamp
  python="$(find_python)"
  if [ ! -x .venv/bin/python ]; then
    if ! "$python" -m venv .venv 2>/dev/null; then
      rm -rf .venv
      apt_install "python3-venv"
      "$python" -m venv .venv
    fi
  fi
  stamp=".venv/.installed$1-$(sha1sum pyproject.toml | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$1" >&2
    touch "$stamp"
  fi
}

ensure_redis_server() {
  command -v redis-server >/dev/null || apt_install redis-server
  # redis-cli makes the test cluster (Debian's redis-tools, which redis-server depends on).
  command -v redis-cli >/dev/null || apt_install redis-tools
}

ensure_dovecot() {  # the email tests' IMAP server: Debian's Dovecot, run by the tests alone
  if [ ! -x /usr/sbin/dovecot ] && ! command -v dovecot >/dev/null; then
    apt_install dovecot-imapd
    # The tests start their own Dovecot on a free loopback port; the system's is not used.
    if command -v systemctl >/dev/null; then as_root systemctl disable --now dovecot \
      >/dev/null 2>&1 || true; fi
  fi
}

ensure_chromium() {  # the browser test's headless Chromium, and an emoji font for its pages
  if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
    apt_install chromium fonts-noto-color-emoji
  fi
}
