"""The plugin layer: go-plugin host and server, store client, discovery, audit.

Nothing here imports Qt; the GUI and the Python plugins both build on it.
"""
