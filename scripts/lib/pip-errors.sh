# Sourced by the install scripts: why a pip run failed, read from its log,
# for their one-line errors.

# The log's last non-empty line.
log_last_line() { grep -v '^[[:space:]]*$' "$1" | tail -n1 | sed 's/^[[:space:]]*//' || true; }

# Succeeds when a wheel did not match its pinned hash; prints the sha256 pip
# got ("?" when the log does not say).
pip_hash_mismatch() {
  grep -q 'DO NOT MATCH THE HASHES' "$1" || return 1
  local got
  got="$(grep -o 'Got *[0-9a-f]\{64\}' "$1" | head -n1 | awk '{print $2}' || true)"
  echo "${got:-?}"
}

# One phrase: PyPI not reachable (the network error), else pip's error line,
# else the log's last line.
pip_failure() {
  local why
  why="$(grep -oE "\[Errno -?[0-9]+\][^')\"]*|Read timed out|ProxyError|SSLError|Failed to resolve '[^']*'" "$1" | head -n1 || true)"
  if [ -n "$why" ]; then echo "PyPI not reachable ($why)"; return; fi
  why="$(grep -m1 '^ERROR:' "$1" | sed 's/^ERROR: *//' || true)"
  echo "${why:-$(log_last_line "$1")}"
}
