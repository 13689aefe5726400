#!/usr/bin/env bash
# One self-signed certificate per federation node, for deploy/Caddyfile.federation.
#   deploy/tls/make-certs.sh OUT_DIR NAME=HOST [NAME=HOST ...]
# e.g. deploy/tls/make-certs.sh /etc/palermo/tls de-bka=de.palermo.example nl-kmar=nl.palermo.example
# Each node keeps NAME.key to itself and gives NAME.crt (public) to every peer, out of band,
# with its fingerprint (printed here) to compare over the phone, like the node's signing key.
set -euo pipefail
out=${1:?usage: make-certs.sh OUT_DIR NAME=HOST ...}
shift
mkdir -p "$out"
for spec in "$@"; do
  name=${spec%%=*} host=${spec#*=}
  [ -n "$name" ] && [ -n "$host" ] && [ "$name" != "$spec" ] || { echo "bad NAME=HOST: $spec" >&2; exit 2; }
  umask 077
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
    -subj "/CN=$host/O=palermo node $name" \
    -addext "subjectAltName=DNS:$host" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,digitalSignature,keyCertSign" \
    -addext "extendedKeyUsage=serverAuth,clientAuth" \
    -keyout "$out/$name.key" -out "$out/$name.crt" 2>/dev/null
  chmod 644 "$out/$name.crt"
  printf '%s %s ' "$name" "$host"
  openssl x509 -in "$out/$name.crt" -noout -fingerprint -sha256
done
