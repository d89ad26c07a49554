"""What the bot knows and the code that reads it: notices, plans, retrieval, rules, timelines."""
