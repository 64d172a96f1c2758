package io.submissionrouter.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.submissionrouter.nativeimage.BlindMapper;
import org.junit.jupiter.api.Test;

/** The router's own sample job tells the router's faults from the job's. */
class SampleJobTest {

    private final MimeMessageFactory mime = new MimeMessageFactory();

    @Test
    void theSampleJobIsReadValidatedAndBuiltWithEveryKindOfPart() throws Exception {
        SampleJob.build(new JobReader(new ObjectMapper().findAndRegisterModules()), mime);
        EmailJob sample = new JobReader(new ObjectMapper()).read(SampleJob.JSON);
        assertThat(sample.text()).isNotBlank();
        assertThat(sample.html()).contains("cid:pixel");
        assertThat(sample.attachments()).extracting(EmailJob.Attachment::contentId).containsExactly("pixel", null);
    }

    @Test
    void aFailureIsTheJobsOwnWhenTheSampleGoesThrough() {
        JobReader reader = new JobReader(new ObjectMapper().findAndRegisterModules());
        assertThat(SampleJob.routerFault(reader, mime, "building the message failed",
                new IllegalArgumentException("bad input"))).isEmpty();
    }

    /** As in a native image that lacks a registration: the sample fails too, so the failure is the router's. */
    @Test
    void aFailureIsTheRoutersWhenTheSampleFailsToo() {
        JobReader blind = new JobReader(BlindMapper.blindTo(EmailJob.class));
        assertThat(SampleJob.routerFault(blind, mime, "building the message failed",
                new IllegalArgumentException("Cannot instance jakarta.mail.util.StreamProvider")))
                .hasValueSatisfying(fault -> {
                    assertThat(fault).hasMessageStartingWith("building the message failed (not the input's fault");
                    assertThat(fault.getSuppressed()).hasSize(1);
                });
    }
}
