"""The project's Python store implementations (each served by a plugin in plugins/)."""
