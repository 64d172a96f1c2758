package io.submissionrouter.smtp;

/** The server's answer for one recipient (CONTRACT 3, {@code rejectedRecipients}). */
public record RecipientReply(String address, Integer smtpCode, String smtpEnhancedCode, String smtpReply) {
}
