package io.submissionrouter.job;

import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;

/**
 * The router cannot bind one of its own types with Jackson: its definition, not the input, is at fault (in a native
 * image, a record left out of the reflection registrations). Never reported as the job's fault ({@code INVALID}) nor
 * taken as an unreadable record to skip: whoever reads fails, and the record is read again once the router is fixed.
 */
public final class BindingUnavailable extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public BindingUnavailable(Class<?> type, InvalidDefinitionException cause) {
        super("the router cannot bind " + type.getName() + " (not the input's fault; in a native image, a type left "
                + "out of its reflection registrations, see README \"Native\"): " + cause.getOriginalMessage(), cause);
    }
}
