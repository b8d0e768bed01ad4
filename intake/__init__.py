"""intake — mail intake for the secretariat of Japan's Cybersecurity Council (サイバーセキュリティ協議会).

Two kinds of mailbox are served:

* ``membership`` (kyogikai-shomu): password-encrypted Word forms — the membership application
  加入申込書 and the staff registration 事務従事者登録届 — whose passwords arrive by phone;
* ``incident`` (csc-anken): consultations and incident reports from members and non-members.
"""

__version__ = "0.1.0"
