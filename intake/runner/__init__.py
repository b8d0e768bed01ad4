"""Running intake: one poll of a mailbox, the round every command and the service share, the
service itself, its guards (one poller per mailbox, poison messages) and the quarantine.
"""
