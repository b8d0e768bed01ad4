"""Reading what reporters write back: the answers to Q24 確認①②③ in their mail (confirmations), where
each begins (marks), what it means (meaning), their words (vocab), and how mail is quoted (mailtext).
"""
