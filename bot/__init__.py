"""职称助手 — the running service: settings, app, WeChat adapter, dispatcher, stores, CLI."""

__version__ = "0.1.0"
