/**
 * Graceful drain: on SIGTERM (or on request) clients are told to reconnect elsewhere and closed.
 */
package dev.switchboard.lifecycle;
