"""The exceptions intake raises on purpose.

Every error the product means to report derives from :class:`IntakeError`; anything else is a bug.
The command line turns each branch into one plain line and an exit code::

    IntakeError                      exit 1 unless said otherwise
    ├── ConfigError                  exit 2: the configuration file is wrong (names file, key, problem)
    ├── SourceError                  a mailbox could not be read (unreachable, refused login, cut off)
    │   ├── AuthError                a login or its OAuth2 token was refused or could not be had
    │   │                            (the mailbox shows as auth_failing until it recovers)
    │   └── Throttled                the server asked us to slow down for longer than we wait
    │                                (the mailbox shows as throttled; the next poll goes on)
    ├── StorageError                 the archive or the database cannot be written now (disk full,
    │                                database held by another program): the poll stops, nothing lost
    ├── MessageError                 one message could not be processed: it goes to quarantine
    │   ├── LimitExceeded            a configured limit was passed (a message's, or what an
    │   │                            attachment unpacks to: then only the attachment is refused)
    │   └── OverBudget               processing the message took longer than its time budget
    │                                ([limits] max_message_seconds): it is set aside, the poll goes on
    ├── DocumentError                an attachment could not be opened or read
    │   ├── WrongPassword            exit 3: the password did not open the file
    │   └── UnsupportedEncryption    the encryption is one we cannot open at all
    └── NotFound                     a case, attachment or quarantine entry id that does not exist

Messages never carry a password, whatever the branch.

What staff read is Japanese: an error raised with ``label="key"`` is said as ``[errors] key`` of
rules/labels.toml with its ``values`` filled in (``intake.secretariat.labels.error_text``); one
without a label is said by its class's entry of ``[errors]``. The message itself stays the English
line of the log and of ``--json``.
"""


class IntakeError(Exception):
    """Base of every error intake reports on purpose; ``label`` names its Japanese wording in
    ``[errors]`` of labels.toml and ``values`` fill that wording in."""

    exit_code = 1
    labels_section = "errors"

    def __init__(self, message: str = "", /, *, label: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.label, self.values = label, values


class ConfigError(IntakeError):
    """The configuration is wrong; the message names the file, the key and the problem."""

    exit_code = 2


class SourceError(IntakeError):
    """A mailbox or mail server could not be reached, logged into or read; ``hint`` says what to
    change (shown by ``intake doctor``)."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class AuthError(SourceError):
    """A server refused the login, or no access token could be obtained for it."""


class Throttled(SourceError):
    """The server keeps asking us to wait (HTTP 429/503): the mailbox is busy, not broken."""


class StorageError(IntakeError):
    """The archive or the database cannot be written now; nothing was marked, the next poll retries."""


class MessageError(IntakeError):
    """A single message could not be processed; it is quarantined with this error."""


class LimitExceeded(MessageError):
    """A configured limit (message size, attachment size, parts, nesting) was passed."""


class OverBudget(MessageError):
    """Processing one message took longer than ``[limits] max_message_seconds``; it was stopped
    where it stood (:mod:`intake.budget`) and goes to the quarantine."""


class DocumentError(IntakeError):
    """An attachment could not be opened, decrypted or read."""


class WrongPassword(DocumentError):
    """The password given does not open the document."""

    exit_code = 3


class UnsupportedEncryption(DocumentError):
    """The document is encrypted in a way intake cannot open."""


class NotFound(IntakeError):
    """No object with the id given."""
