"""Deadline reminders: plan timelines → subscriptions → a persistent outbox → WeChat.

- `plans`: the few plan fields reminders need (id, title, series key, year, timeline);
- `schedule`: when a reminder is due (lead days, send time, quiet hours; Asia/Shanghai);
- `repo`: users, subscriptions and the outbox in the database of bot/db.py;
- `delivery`: the channel ladder template → subscribe → customer service;
- `scheduler`: the loop that claims due rows and delivers them (in `serve` or alone).
"""
