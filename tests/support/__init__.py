"""What the tests share: builders of mail, Office files, forms and case facts; real servers (Dovecot,
aiosmtpd); workspaces and the command line run in-process."""
