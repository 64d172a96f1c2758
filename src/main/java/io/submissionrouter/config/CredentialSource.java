package io.submissionrouter.config;

import io.submissionrouter.config.SessionSettings.Credentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * AUTH credentials from settings or from files (Kubernetes Secret mounts). Files are read at every session, so a
 * rotated Secret takes effect without a restart. A configured file that cannot be read, or holds nothing, never
 * turns AUTH off: the session is not opened and the endpoint reports a {@code config_error} naming the setting
 * ({@link CredentialsUnavailable}); startup refuses such a file ({@link #check()}).
 */
public final class CredentialSource implements Supplier<Optional<Credentials>> {

    private final String prefix;
    private final Optional<String> username;
    private final Optional<String> password;
    private final Optional<Path> usernameFile;
    private final Optional<Path> passwordFile;

    /** @param prefix the settings the credentials come from, as errors name them ({@code submission.smtp}) */
    public CredentialSource(String prefix, Optional<String> username, Optional<String> password,
            Optional<String> usernameFile, Optional<String> passwordFile) {
        this.prefix = prefix;
        this.username = username;
        this.password = password;
        this.usernameFile = usernameFile.map(Path::of);
        this.passwordFile = passwordFile.map(Path::of);
    }

    /** Reads the configured files once, as startup does; throws {@link InvalidSettingException} naming a bad one. */
    public void check() {
        usernameFile.ifPresent(f -> check(f, "username-file"));
        passwordFile.ifPresent(f -> check(f, "password-file"));
    }

    private void check(Path file, String setting) {
        try {
            read(file, setting);
        } catch (CredentialsUnavailable e) {
            throw new InvalidSettingException(prefix + "." + setting, e.getMessage());
        }
    }

    @Override
    public Optional<Credentials> get() {
        Optional<String> user = usernameFile.isPresent() ? Optional.of(read(usernameFile.get(), "username-file"))
                : username;
        Optional<String> pass = passwordFile.isPresent() ? Optional.of(read(passwordFile.get(), "password-file"))
                : password;
        if (user.isEmpty() || user.get().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Credentials(user.get(), pass.orElse("")));
    }

    private String read(Path file, String setting) {
        String value;
        try {
            value = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException | RuntimeException e) {
            throw new CredentialsUnavailable(prefix + "." + setting + " (" + file + ") cannot be read: "
                    + e.getClass().getSimpleName(), true);
        }
        if (value.isEmpty()) {
            throw new CredentialsUnavailable(prefix + "." + setting + " (" + file + ") is empty", true);
        }
        return value;
    }
}
