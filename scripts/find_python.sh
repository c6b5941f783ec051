#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa Open Source 3.6 supports no newer one).
# Looks at $PYTHON, python3.10 on PATH, then pyenv's installed 3.10.x versions.
set -u
is310() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }
candidates=("${PYTHON:-}" "$(command -v python3.10 2>/dev/null)")
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for p in "$root"/versions/3.10*/bin/python3.10; do candidates+=("$p"); done
fi
for p in /usr/bin/python3.10 /usr/local/bin/python3.10; do candidates+=("$p"); done
for p in "${candidates[@]}"; do
  if is310 "$p"; then echo "$p"; exit 0; fi
done
echo "Boussole needs Python 3.10 (Rasa 3.6 does not run on newer versions) and none was found." >&2
echo "Install it (e.g. 'pyenv install 3.10.13') or point PYTHON=/path/to/python3.10." >&2
exit 1
