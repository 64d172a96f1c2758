package io.submissionrouter.intake;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import java.util.function.Predicate;

/** The {@code pausable} step's condition (routes/intake.yaml): the pod has room for more jobs in flight. */
@ApplicationScoped
@Named("inFlightRoom")
public class InFlightRoom implements Predicate<Object> {

    private final InFlightJobs jobs;

    public InFlightRoom(InFlightJobs jobs) {
        this.jobs = jobs;
    }

    @Override
    public boolean test(Object ignored) {
        return !jobs.full();
    }
}
