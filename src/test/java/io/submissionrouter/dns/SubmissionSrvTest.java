package io.submissionrouter.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.submissionrouter.config.InvalidSettingException;
import io.submissionrouter.config.SrvDiscovery.Target;
import io.submissionrouter.testing.TestDnsServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TextParseException;

/** RFC 6186 discovery against a real DNS server on a loopback port. */
class SubmissionSrvTest {

    private static TestDnsServer dns;
    private static SubmissionSrv srv;

    @BeforeAll
    static void start() throws TextParseException {
        dns = TestDnsServer.start()
                .records("_submission._tcp.shop.example",
                        srv("_submission._tcp.shop.example", 20, 0, 2525, "backup.shop.example"),
                        srv("_submission._tcp.shop.example", 10, 5, 587, "smtp2.shop.example"),
                        srv("_submission._tcp.shop.example", 10, 60, 587, "smtp1.shop.example"),
                        srv("_submission._tcp.shop.example", 30, 0, 587, "smtp1.shop.example"))
                .records("_submission._tcp.none.example", srv("_submission._tcp.none.example", 0, 0, 0, "."))
                .records("_submission._tcp.elsewhere.example",
                        srv("_submission._tcp.elsewhere.example", 0, 0, 587, "smtp.elsewhere.example.evil.net"))
                .records("_submission._tcp.self.example", srv("_submission._tcp.self.example", 0, 0, 587, "self.example"))
                .answer("_submission._tcp.gone.example", TestDnsServer.Answer.NXDOMAIN)
                .answer("_submission._tcp.silent.example", TestDnsServer.Answer.SILENT);
        srv = new SubmissionSrv(List.of(dns.address()), Duration.ofMillis(300));
    }

    @AfterAll
    static void stop() {
        dns.close();
    }

    private static SRVRecord srv(String name, int priority, int weight, int port, String target)
            throws TextParseException {
        return new SRVRecord(Name.fromString(name + "."), DClass.IN, 300, priority, weight, port,
                target.equals(".") ? Name.root : Name.fromString(target + "."));
    }

    @Test
    void ordersByPriorityThenWeightAndDropsRepeats() {
        assertThat(srv.find("shop.example")).containsExactly(new Target("smtp1.shop.example", 587),
                new Target("smtp2.shop.example", 587), new Target("backup.shop.example", 2525));
        assertThat(srv.find("Self.Example.")).containsExactly(new Target("self.example", 587));
    }

    @Test
    void refusesWhatCannotBeUsedNamingTheSetting() {
        assertThatThrownBy(() -> srv.find("none.example")).isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("submission.smtp.discover-domain").hasMessageContaining("no submission service");
        assertThatThrownBy(() -> srv.find("elsewhere.example")).isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("outside elsewhere.example").hasMessageContaining("primary.host");
        assertThatThrownBy(() -> srv.find("gone.example")).isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("_submission._tcp.gone.example");
        assertThatThrownBy(() -> srv.find("nothing-declared.example")).isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("no SRV record");
        assertThatThrownBy(() -> srv.find("silent.example")).isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("_submission._tcp.silent.example");
    }
}
