package io.submissionrouter.intake;

/**
 * What must hold before the first job is taken, checked at each attempt to start the intake: in a native image, that
 * nothing the router loads at run time was left out (nativeimage.StartupSelfCheck, the one implementation).
 */
public interface StartupCheck {

    /** Fails, naming what is missing, when the router cannot take jobs as it is. */
    void verify();
}
