"""Language resources and the one normaliser: text cleaning, tokenizer, Chinese numbers and
dates, intents. Imports nothing above `knowledge/`."""
