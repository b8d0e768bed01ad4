"""The secretariat's side: staff actions on cases with their audit, the member register (import,
accept, rows), the views of cases and queue, exports, and the short labels staff read.
"""
