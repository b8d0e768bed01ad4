"""What happens to a case: a message ingested or threaded into one, an attachment unlocked, a
password phoned in ahead tried, and the case refreshed — its facts built, checked, replied to.
"""
