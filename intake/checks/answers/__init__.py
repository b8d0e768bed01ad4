"""Reading what reporters write back: the answers to Q24 確認①②③ in their mail (confirmations),
what each answer means (meaning), their words (vocab), and how mail text is quoted (mailtext).
"""
