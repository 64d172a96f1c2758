package io.submissionrouter.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * camel-dns hands on nothing of a lookup without an answer but dnsjava's {@code Lookup.getErrorString()}, as the
 * message of a plain CamelException: these hold dnsjava's texts for NXDOMAIN and NODATA to the ones
 * {@link CamelDnsLookup} classifies, with dnsjava run against answers made here (no DNS server needed).
 */
class CamelDnsLookupTest {

    /** A resolver that answers every query with {@code rcode} and no records (an SOA in authority for NODATA). */
    private static final class Answering extends SimpleResolver {
        private final int rcode;

        Answering(int rcode) throws UnknownHostException {
            super(new InetSocketAddress("127.0.0.1", 9));
            this.rcode = rcode;
        }

        @Override
        public Message send(Message query) {
            Message response = new Message(query.getHeader().getID());
            response.getHeader().setFlag(Flags.QR);
            response.getHeader().setFlag(Flags.AA);
            response.getHeader().setRcode(rcode);
            response.addRecord(query.getQuestion(), Section.QUESTION);
            if (rcode != Rcode.SERVFAIL) {
                Name zone = Name.fromConstantString("example.");
                response.addRecord(new SOARecord(zone, DClass.IN, 60, Name.fromConstantString("ns.example."),
                        Name.fromConstantString("admin.example."), 1, 60, 60, 60, 60), Section.AUTHORITY);
            }
            return response;
        }
    }

    private static Lookup run(int rcode) throws Exception {
        Lookup lookup = new Lookup(Name.fromString("mail.example."), Type.MX);
        lookup.setResolver(new Answering(rcode));
        lookup.setCache(new Cache(DClass.IN));
        lookup.setSearchPath(List.of());
        lookup.run();
        return lookup;
    }

    @Test
    void dnsjavasTextsForNxdomainAndNodataAreTheOnesClassified() throws Exception {
        Lookup nxdomain = run(Rcode.NXDOMAIN);
        assertThat(nxdomain.getResult()).isEqualTo(Lookup.HOST_NOT_FOUND);
        assertThat(CamelDnsLookup.result(nxdomain.getErrorString())).isEqualTo(MailDomains.Result.HOST_NOT_FOUND);

        Lookup nodata = run(Rcode.NOERROR);
        assertThat(nodata.getResult()).isEqualTo(Lookup.TYPE_NOT_FOUND);
        assertThat(CamelDnsLookup.result(nodata.getErrorString())).isEqualTo(MailDomains.Result.TYPE_NOT_FOUND);

        Lookup servfail = run(Rcode.SERVFAIL);
        assertThat(servfail.getResult()).isEqualTo(Lookup.TRY_AGAIN);
        assertThat(CamelDnsLookup.result(servfail.getErrorString())).isEqualTo(MailDomains.Result.FAILED);
        assertThat(CamelDnsLookup.result("try again")).isEqualTo(MailDomains.Result.FAILED);
        assertThat(CamelDnsLookup.result("unrecoverable error")).isEqualTo(MailDomains.Result.FAILED);
    }
}
