package io.submissionrouter.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/** TLS socket factories that trust the JVM's CAs, or only those of a PEM file. */
public final class TrustStores {

    private TrustStores() {
    }

    public static SSLSocketFactory socketFactory(Optional<String> trustPem, String setting) {
        try {
            if (trustPem.isEmpty()) {
                return SSLContext.getDefault().getSocketFactory();
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            Collection<? extends Certificate> certs;
            try (InputStream in = Files.newInputStream(Path.of(trustPem.get()))) {
                certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            }
            if (certs.isEmpty()) {
                throw new InvalidSettingException(setting, trustPem.get() + " holds no PEM certificate");
            }
            int i = 0;
            for (Certificate cert : certs) {
                store.setCertificateEntry("ca-" + i++, cert);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (IOException e) {
            throw new InvalidSettingException(setting, "cannot read " + trustPem.orElse("") + ": " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new InvalidSettingException(setting, "not usable as CA certificates: " + e.getMessage());
        }
    }
}
