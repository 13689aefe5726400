#!/usr/bin/env bash
# make demo: generate a demo world, load each agency's view into its partition, serve.
set -euo pipefail
dir=${1:-var/demo}
persons=${2:-200}
port=${PORT:-8000}
bin=.venv/bin
rm -rf "$dir"
mkdir -p "$dir"
export PALERMO_DB="sqlite:///$PWD/$dir/palermo.db"
"$bin/palermo" world generate --persons "$persons" --seed 2024 --out "$dir/world"
"$bin/palermo" init
"$bin/palermo" demo load "$dir/world"
echo
echo "palermo demo: open http://127.0.0.1:$port/ and log in with one of the users above."
echo "API docs: http://127.0.0.1:$port/docs   (stop with Ctrl-C)"
exec "$bin/palermo" serve --port "$port"
