package io.submissionrouter.job;

import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;

/**
 * The router's own fault, not its input's: Jackson cannot bind one of the router's types (its definition is at
 * fault), or a job fails where the router's own sample job fails too ({@link SampleJob}); in a native image, both
 * mean something left out of the registrations (README, "Native"). Never reported as the job's fault
 * ({@code INVALID}) nor taken as an unreadable record to skip: whoever reads fails, and the record is read again
 * (after a back-off) until the router is fixed.
 */
public final class RouterFault extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public RouterFault(Class<?> type, InvalidDefinitionException cause) {
        super("the router cannot bind " + type.getName() + " (not the input's fault; in a native image, a type left "
                + "out of its reflection registrations, see README \"Native\"): " + cause.getOriginalMessage(), cause);
    }

    public RouterFault(String what, Throwable cause) {
        super(what + " (not the input's fault: the router's own sample job fails too; in a native image, something "
                + "left out of its registrations, see README \"Native\"): " + cause, cause);
    }
}
