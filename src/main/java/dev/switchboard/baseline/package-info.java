/**
 * A bare WebSocket relay on the same container, off unless {@code BENCH_BASELINE_ENDPOINT=true}:
 * the benchmark's measure of what the container can do at all, so the signaling relay is reported
 * as a ratio of it.
 */
package dev.switchboard.baseline;
