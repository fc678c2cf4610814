#!/usr/bin/env sh
# Print the path of a Python >= 3.12 interpreter, or fail with a clear message.
# Order: python3.13, python3.12 on PATH (pyenv shims only count if they really run), then pyenv's own installs.
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for cand in python3.13 python3.12 python3; do
  if command -v "$cand" >/dev/null 2>&1 && ok "$cand"; then
    "$cand" -c 'import sys; print(sys.executable)'; exit 0
  fi
done
root="${PYENV_ROOT:-$HOME/.pyenv}"
for cand in "$root"/versions/3.13*/bin/python3 "$root"/versions/3.12*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
  if [ -x "$cand" ] && ok "$cand"; then echo "$cand"; exit 0; fi
done
echo "error: govsim needs Python >= 3.12 (Mesa 3.5 requires it); none found as python3.13, python3.12, python3 or under $root/versions. Install one (e.g. 'pyenv install 3.12') and retry." >&2
exit 1
