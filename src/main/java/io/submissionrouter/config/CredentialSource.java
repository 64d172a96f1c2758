package io.submissionrouter.config;

import io.submissionrouter.smtp.EndpointSpec.Credentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * AUTH credentials from settings or from files (Kubernetes Secret mounts). Files are read at every
 * session, so a rotated Secret takes effect without a restart; a file that cannot be read yields no
 * credentials for that session (the server will refuse and the endpoint's breaker will show it).
 */
public final class CredentialSource implements Supplier<Optional<Credentials>> {

    private final Optional<String> username;
    private final Optional<String> password;
    private final Optional<Path> usernameFile;
    private final Optional<Path> passwordFile;

    public CredentialSource(Optional<String> username, Optional<String> password,
            Optional<String> usernameFile, Optional<String> passwordFile) {
        this.username = username;
        this.password = password;
        this.usernameFile = usernameFile.map(Path::of);
        this.passwordFile = passwordFile.map(Path::of);
    }

    /** True when AUTH is configured at all. */
    public boolean configured() {
        return username.isPresent() || usernameFile.isPresent();
    }

    @Override
    public Optional<Credentials> get() {
        Optional<String> user = usernameFile.map(CredentialSource::read).orElse(username);
        Optional<String> pass = passwordFile.map(CredentialSource::read).orElse(password);
        if (user.isEmpty() || user.get().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Credentials(user.get(), pass.orElse("")));
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
