"""The finding codes the product promises."""

# The finding codes of shared/spec/domain.md (families without their ":<field>" part). Kept here so
# the project's tests do not depend on ../shared; test_domain_md_lists_the_same_codes compares
# when the spec is present.
DOMAIN_CODES = (
    "filename_format",
    "filename_org_mismatch",
    "word_format_required",
    "encryption_required",
    "password_in_email",
    "password_pending",
    "outside_recruitment_period",
    "macro_enabled_document",
    "required_field",
    "choice_required",
    "individual_applicant",
    "duplicate_department",
    "corporate_number_invalid",
    "staff_registration_required",
    "staff_registration_not_needed",
    "taskforce_contact",
    "mailing_list_address",
    "poc_not_registered",
    "multiple_poc",
    "continuing_unknown",
    "new_already_registered",
    "abolished_unknown",
    "abolished_not_removed",
    "sender_not_on_file",
    "secret_designation",
    "sharing_scope",
    "external_coordination",
    "non_member",
    "malware_detected",
    "signer_not_sender",
)
# Codes of the product's own, beyond domain.md (interface.md lists the later ones).
OWN_CODES = (
    "attachment_unreadable",
    "answer_unclear",
    "reply_bounced",
    "sender_not_authenticated",
    "signature_bad",
    "message_undecryptable",
    "text_read_in_part",
    "attachment_not_scanned",
    "form_not_found",
)
