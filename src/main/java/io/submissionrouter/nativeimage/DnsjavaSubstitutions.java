package io.submissionrouter.nativeimage;

import com.oracle.svm.core.annotate.Alias;
import com.oracle.svm.core.annotate.Substitute;
import com.oracle.svm.core.annotate.TargetClass;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.xbill.DNS.Name;
import org.xbill.DNS.config.FallbackPropertyResolverConfigProvider;
import org.xbill.DNS.config.InitializationException;
import org.xbill.DNS.config.JndiContextResolverConfigProvider;
import org.xbill.DNS.config.PropertyResolverConfigProvider;
import org.xbill.DNS.config.ResolvConfResolverConfigProvider;
import org.xbill.DNS.config.ResolverConfigProvider;
import org.xbill.DNS.config.SunJvmResolverConfigProvider;

/**
 * What a camel-quarkus-dns extension would contribute for dnsjava in a native image (it is not served here, so the
 * project carries it; plain camel-dns stands in for it). dnsjava's {@code ResolverConfig} lists every way it knows
 * to find the DNS servers, Windows' (through JNA) and Android's (through Android's ConnectivityManager) among them;
 * neither JNA nor Android is on the class path of a Linux pod, and the image builder, which links every method it
 * may reach, refuses classes it cannot load. The substitute constructor below is dnsjava 3.6's own, without those
 * two providers: {@code /etc/resolv.conf}, the {@code dns.server} properties, JNDI and the JVM's own configuration
 * are asked, in dnsjava's order, on the pod at run time (dnsjava is initialized at run time: "Native" in
 * application.properties), never on the build machine.
 * <p>
 * Read by the native-image builder only: a JVM run never loads these classes.
 */
@TargetClass(className = "org.xbill.DNS.ResolverConfig")
final class Target_org_xbill_DNS_ResolverConfig {

    @Alias
    private static Logger log;
    @Alias
    private static List<ResolverConfigProvider> configProviders;
    @Alias
    private List<InetSocketAddress> servers;
    @Alias
    private List<Name> searchlist;
    @Alias
    private int ndots;

    @Substitute
    Target_org_xbill_DNS_ResolverConfig() {
        servers = new ArrayList<>(2);
        searchlist = new ArrayList<>(0);
        ndots = 1;
        synchronized (Target_org_xbill_DNS_ResolverConfig.class) { // ResolverConfig.class in the image
            if (configProviders == null) {
                configProviders = new ArrayList<>(6);
                if (!Boolean.getBoolean("dnsjava.configprovider.skipinit")) {
                    configProviders.add(new PropertyResolverConfigProvider());
                    configProviders.add(new ResolvConfResolverConfigProvider());
                    configProviders.add(new JndiContextResolverConfigProvider());
                    configProviders.add(new SunJvmResolverConfigProvider());
                    configProviders.add(new FallbackPropertyResolverConfigProvider());
                }
            }
        }
        for (ResolverConfigProvider provider : configProviders) {
            if (!provider.isEnabled()) {
                continue;
            }
            try {
                provider.initialize();
                if (servers.isEmpty()) {
                    servers.addAll(provider.servers());
                }
                if (searchlist.isEmpty() && !provider.searchPaths().isEmpty()) {
                    searchlist.addAll(provider.searchPaths());
                    ndots = provider.ndots();
                }
                if (!servers.isEmpty() && !searchlist.isEmpty()) {
                    return;
                }
            } catch (InitializationException e) {
                log.warn("Failed to initialize provider", e); // as dnsjava: the next provider is asked
            }
        }
        if (servers.isEmpty()) {
            servers.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), 53));
        }
    }
}

/** The substitutions of dnsjava for the native image (see {@link Target_org_xbill_DNS_ResolverConfig}). */
final class DnsjavaSubstitutions {
    private DnsjavaSubstitutions() {
    }
}
