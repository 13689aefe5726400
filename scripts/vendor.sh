#!/usr/bin/env bash
# Copy the web UI's JavaScript libraries from node_modules (installed by `npm ci` from the
# npm registry) into the package's static folder. Nothing here is committed: a closed
# network serves these files itself, with no CDN.
set -euo pipefail
src=node_modules
dst=src/palermo/web/static/vendor
mkdir -p "$dst/images"
cp "$src/cytoscape/dist/cytoscape.min.js" "$dst/"
cp "$src/leaflet/dist/leaflet.js" "$src/leaflet/dist/leaflet.css" "$dst/"
cp "$src"/leaflet/dist/images/*.png "$dst/images/"
cp "$src/chart.js/dist/chart.umd.js" "$dst/chart.umd.js"
cp "$src/topojson-client/dist/topojson-client.min.js" "$dst/"
cp "$src/world-atlas/countries-50m.json" "$dst/countries-50m.json"
# API documentation pages (/docs, /redoc), served from here instead of a public CDN.
cp "$src/swagger-ui-dist/swagger-ui-bundle.js" "$src/swagger-ui-dist/swagger-ui.css" "$dst/"
cp "$src/redoc/bundles/redoc.standalone.js" "$dst/"
echo "web assets copied to $dst"
