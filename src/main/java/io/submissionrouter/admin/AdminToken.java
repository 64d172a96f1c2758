package io.submissionrouter.admin;

import io.submissionrouter.config.InvalidSettingException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The bearer token of the operator endpoints: {@code submission.admin.token}, or the file
 * {@code submission.admin.token-file} names (a Kubernetes Secret mount), read again on every request so that a
 * rotated Secret takes effect without a restart. A token must be at least {@value #MIN_LENGTH} characters and not a
 * placeholder ("replace-me", "changeme", ...): start-up refuses one, naming its setting. A file that is not there
 * (an optional Secret not created), cannot be read or holds such a token turns the endpoints off (404) until it
 * holds a good one, never on with a weak token.
 */
public final class AdminToken {

    /** 32 characters: 192 bits in base64, more than a guess or a brute force over the network can reach. */
    public static final int MIN_LENGTH = 32;
    private static final Set<String> PLACEHOLDERS = Set.of("replace-me", "replaceme", "changeme", "change-me",
            "change-it", "changeit", "secret", "token", "admin", "password", "example", "test", "todo");

    private final Optional<String> token;
    private final Optional<Path> file;

    AdminToken(Optional<String> token, Optional<String> file) {
        this.token = token.map(String::strip).filter(t -> !t.isEmpty());
        this.file = file.map(String::strip).filter(f -> !f.isEmpty()).map(Path::of);
        if (this.token.isPresent() && this.file.isPresent()) {
            throw new InvalidSettingException("submission.admin.token-file",
                    "cannot be used with submission.admin.token; set one of them");
        }
        this.token.ifPresent(t -> refuseWeak("submission.admin.token", t));
        // a file not there (an optional Secret not created) leaves the endpoints off; a weak one stops start-up
        this.file.flatMap(AdminToken::read).ifPresent(t -> refuseWeak("submission.admin.token-file", t));
    }

    /** True when the operator endpoints are on (a token or a token file is set). */
    boolean configured() {
        return token.isPresent() || file.isPresent();
    }

    /** The token in force now; empty (endpoints off) when the file cannot be read or holds a weak token. */
    Optional<String> current() {
        if (token.isPresent()) {
            return token;
        }
        return file.flatMap(AdminToken::read).filter(t -> weakness(t) == null);
    }

    /** {@code presented} equals {@code token}, compared in constant time. */
    static boolean same(String presented, String token) {
        return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8));
    }

    /** A token file holds a line; one larger than this is not a token (and is not read whole). */
    private static final long MAX_FILE_BYTES = 4096;

    private static Optional<String> read(Path file) {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                return Optional.empty();
            }
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip()).filter(t -> !t.isEmpty());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void refuseWeak(String setting, String token) {
        String weakness = weakness(token);
        if (weakness != null) {
            throw new InvalidSettingException(setting, weakness + "; generate one, for example with "
                    + "'openssl rand -base64 32', or leave it unset to turn the operator endpoints off");
        }
    }

    /** Why a token is too weak to guard the operator endpoints, or null. */
    static String weakness(String token) {
        String lower = token.toLowerCase(Locale.ROOT);
        if (PLACEHOLDERS.contains(lower) || lower.contains("replace") || lower.contains("change-me")
                || lower.contains("changeme")) {
            return "is a placeholder";
        }
        if (token.length() < MIN_LENGTH) {
            return "is " + token.length() + " characters long, fewer than " + MIN_LENGTH;
        }
        if (token.chars().distinct().count() < 8) {
            return "repeats too few characters to be a secret";
        }
        return null;
    }
}
