"""HTTP routers, one per file; mounted in bot/app.py."""
