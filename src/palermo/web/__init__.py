"""The analyst web UI: server-rendered pages, served by the same app as the API."""
