package io.submissionrouter.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.junit.jupiter.api.Test;

/**
 * CONTRACT 8.3: a partition's offset is committed only up to its first unfinished job; the finished ones after it
 * travel in the commit's metadata, so the next reader skips them and only the jobs in flight run again.
 */
class PartitionProgressTest {

    @Test
    void commitsUpToTheFirstUnfinishedJobWhileLaterOnesFinishFirst() {
        PartitionProgress p = new PartitionProgress();
        for (long o = 10; o < 15; o++) {
            assertThat(p.take(o)).isTrue();
        }
        p.finish(11);
        p.finish(13);
        p.finish(14);
        OffsetAndMetadata first = p.committable(0);
        assertThat(first.offset()).isEqualTo(10);
        assertThat(first.metadata()).isEqualTo("done:1,3-4");

        p.finish(10);
        OffsetAndMetadata second = p.committable(0);
        assertThat(second.offset()).isEqualTo(12); // 12 is still running
        assertThat(second.metadata()).isEqualTo("done:1-2");

        p.finish(12);
        assertThat(p.committable(0).offset()).isEqualTo(15);
        assertThat(p.span()).as("no job unfinished").isZero();
    }

    @Test
    void nothingNewIsCommittedTwiceAndAFailedCommitIsRepeated() {
        PartitionProgress p = new PartitionProgress();
        p.take(0);
        p.finish(0);
        OffsetAndMetadata o = p.committable(0);
        assertThat(o.offset()).isEqualTo(1);
        p.committed(new OffsetAndMetadata(1), false);
        assertThat(p.committable(0)).isNull();

        p.take(1);
        p.finish(1);
        assertThat(p.committable(0).offset()).isEqualTo(2);
        p.failed(); // the commit did not go through
        assertThat(p.committable(0).offset()).isEqualTo(2);
    }

    @Test
    void aJobFinishingBehindAStuckOneIsCommittedInTheMetadataEvenThoughTheOffsetStays() {
        PartitionProgress p = new PartitionProgress();
        p.take(0);
        p.take(1);
        assertThat(p.committable(0).metadata()).isEqualTo("done:");
        p.committed(new OffsetAndMetadata(0), false);
        assertThat(p.committable(0)).isNull();
        p.finish(1);
        OffsetAndMetadata o = p.committable(0);
        assertThat(o.offset()).isZero();
        assertThat(o.metadata()).isEqualTo("done:1");
    }

    @Test
    void commitsAtMostOncePerIntervalUnlessAskedNow() {
        PartitionProgress p = new PartitionProgress();
        p.take(0);
        p.finish(0);
        assertThat(p.committable(60_000_000_000L)).isNotNull();
        p.take(1);
        p.finish(1);
        assertThat(p.committable(60_000_000_000L)).isNull(); // within the interval
        assertThat(p.committable(0).offset()).isEqualTo(2); // a rebalance commits at once
    }

    @Test
    void theNextReaderSkipsWhatTheLastCommitNamesAsFinishedAndRunsTheRest() {
        PartitionProgress before = new PartitionProgress();
        LongStream.range(100, 110).forEach(before::take);
        LongStream.of(101, 102, 103, 105, 108, 109).forEach(before::finish);
        OffsetAndMetadata commit = before.committable(0);
        assertThat(commit.offset()).isEqualTo(100);

        PartitionProgress after = new PartitionProgress();
        after.resume(commit.offset(), commit.metadata());
        List<Long> run = new ArrayList<>();
        for (long o = 100; o < 112; o++) {
            if (after.take(o)) {
                run.add(o);
            }
        }
        assertThat(run).containsExactly(100L, 104L, 106L, 107L, 110L, 111L);
        // and a second commit before those finish still names what the first owner finished
        after.finish(100);
        OffsetAndMetadata again = after.committable(0);
        assertThat(again.offset()).isEqualTo(104);
        assertThat(again.metadata()).isEqualTo("done:1,4-5");
    }

    @Test
    void finishedJobsNotReadYetByTheNewOwnerStayInItsCommits() {
        PartitionProgress p = new PartitionProgress();
        p.resume(50, "done:2-3");
        assertThat(p.take(50)).isTrue();
        p.finish(50);
        OffsetAndMetadata o = p.committable(0);
        assertThat(o.offset()).isEqualTo(51);
        assertThat(o.metadata()).isEqualTo("done:1-2"); // 52 and 53, relative to 51
        assertThat(p.take(51)).isTrue();
        assertThat(p.take(52)).isFalse();
        assertThat(p.take(53)).isFalse();
        assertThat(p.take(54)).isTrue();
    }

    @Test
    void metadataThatIsNotOursMeansEveryRecordIsReadAgain() {
        PartitionProgress p = new PartitionProgress();
        p.resume(7, "done:x-y");
        assertThat(p.take(7)).isTrue();
        assertThat(p.take(8)).isTrue();
        PartitionProgress other = new PartitionProgress();
        other.resume(7, "something else");
        assertThat(other.take(7)).isTrue();
    }

    @Test
    void aRecordReadAgainIsNotTakenTwice() {
        PartitionProgress p = new PartitionProgress();
        assertThat(p.take(3)).isTrue();
        assertThat(p.take(3)).isFalse();
        p.finish(3);
        assertThat(p.take(3)).isFalse();
        assertThat(p.take(2)).isFalse();
    }

    @Test
    void theSpanCountsTheRecordsReadSinceTheFirstUnfinishedJob() {
        PartitionProgress p = new PartitionProgress();
        assertThat(p.span()).isZero();
        LongStream.range(0, 40).forEach(p::take);
        LongStream.range(1, 40).forEach(p::finish);
        assertThat(p.span()).isEqualTo(40);
        p.finish(0);
        assertThat(p.span()).isZero();
    }

    @Test
    void theMetadataStaysWithinItsBoundAndWhatItCannotHoldIsReadAgain() {
        PartitionProgress p = new PartitionProgress();
        LongStream.range(0, 4000).forEach(p::take);
        for (long o = 1; o < 4000; o += 2) {
            p.finish(o); // every other one: 2000 ranges
        }
        OffsetAndMetadata o = p.committable(0);
        assertThat(o.metadata().length()).isLessThanOrEqualTo(PartitionProgress.MAX_METADATA);
        PartitionProgress next = new PartitionProgress();
        next.resume(o.offset(), o.metadata());
        assertThat(next.take(1)).isFalse();
        assertThat(next.take(3999)).isTrue(); // beyond what the metadata could hold: read again
    }

    @Test
    void offsetsTheLastOwnerNamedThatAreNeverReadDoNotSpoilALaterCommit() {
        PartitionProgress p = new PartitionProgress();
        p.resume(100, "done:3,5"); // 103: a transaction marker, never delivered; 105: finished by the last owner
        assertThat(p.take(100)).isTrue();
        assertThat(p.take(101)).isTrue();
        assertThat(p.take(102)).isTrue();
        assertThat(p.take(104)).isTrue();
        assertThat(p.take(105)).isFalse();
        assertThat(p.take(106)).isTrue();
        p.finish(101);
        p.finish(102);
        p.finish(104);
        p.committed(p.committable(0), false);
        p.finish(100);
        OffsetAndMetadata commit = p.committable(0);
        assertThat(commit.offset()).isEqualTo(106);
        assertThat(commit.metadata()).isEqualTo(PartitionProgress.PREFIX);

        PartitionProgress next = new PartitionProgress();
        next.resume(commit.offset(), commit.metadata());
        assertThat(next.take(106)).as("the job still unfinished runs for the next owner").isTrue();
        assertThat(next.take(107)).isTrue();
    }

    /**
     * A record that must not run yet holds its partition: nothing after it is taken, the hold ends only once applied
     * (the position put back on it) and over, and the record is then taken when read again.
     */
    @Test
    void aHeldRecordStopsItsPartitionUntilTheHoldIsAppliedAndOver() {
        PartitionProgress p = new PartitionProgress();
        assertThat(p.take(0)).isTrue();
        java.util.concurrent.atomic.AtomicBoolean over = new java.util.concurrent.atomic.AtomicBoolean(true);
        p.hold(1, over::get);
        assertThat(p.take(2)).as("behind the held record").isFalse();
        assertThat(p.release()).as("not applied yet: records polled before the seek are still coming").isFalse();
        assertThat(p.holdToApply()).isEqualTo(1);
        assertThat(p.holdToApply()).as("applied once").isEqualTo(-1);
        over.set(false);
        assertThat(p.release()).isFalse();
        assertThat(p.held()).isTrue();
        over.set(true);
        assertThat(p.release()).isTrue();
        assertThat(p.held()).isFalse();
        assertThat(p.take(1)).as("read again from the held record").isTrue();
        p.finish(0);
        p.finish(1);
        assertThat(p.committable(0).offset()).isEqualTo(2);
    }

    /** Another group's record is finished as it is read; only the records whose job ran here have passes to settle. */
    @Test
    void aRecordPassedOverIsCommittedPastWithNoPassToSettle() {
        PartitionProgress p = new PartitionProgress();
        p.passOver(0);
        assertThat(p.take(1)).isTrue();
        p.passOver(2);
        assertThat(p.committable(0).offset()).as("held by the job of 1").isEqualTo(1);
        p.finish(1);
        OffsetAndMetadata o = p.committable(0);
        assertThat(o.offset()).isEqualTo(3);
        assertThat(p.committed(o, false)).containsExactly(1L);
        assertThat(p.committed(o, false)).isEmpty();
    }

    /**
     * A finished record the last commit (its partition leaves) names in its metadata is run by nobody again: its pass
     * is over with that commit, or a partition that comes back keeps it until it is evicted. A commit that is not the
     * last settles only what is before its offset: a later one, its metadata cut at its bound, may no longer name it
     * (review of issue 24).
     */
    @Test
    void aFinishedRecordTheLastCommitNamesAsDoneIsSettledByIt() {
        PartitionProgress p = new PartitionProgress();
        assertThat(p.take(0)).isTrue();
        assertThat(p.take(1)).isTrue();
        p.finish(1);
        OffsetAndMetadata o = p.committable(0);
        assertThat(o.offset()).as("held by the job of 0").isZero();
        assertThat(o.metadata()).isEqualTo(PartitionProgress.PREFIX + "1");
        assertThat(p.committed(o, false)).as("not the last commit").isEmpty();
        assertThat(p.committed(o, true)).containsExactly(1L);
        p.finish(0);
        assertThat(p.committed(p.committable(0), false)).containsExactly(0L);
    }
}
