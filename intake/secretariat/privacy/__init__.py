"""Personal data kept only as long as needed (APPI): the purge past retention, and a person's data
found for a disclosure request or erased on request — each with its audit entry.
"""
