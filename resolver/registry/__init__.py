"""OCI distribution client (tags, manifests, blobs, auth). Knows nothing about Chart.yaml.

``reference`` is import-light (no httpx) and is used by offline code; ``client`` imports httpx.
"""
