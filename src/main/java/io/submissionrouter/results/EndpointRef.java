package io.submissionrouter.results;

/** An endpoint as results and attempt events name it. */
public record EndpointRef(String name, String host, int port) {
}
