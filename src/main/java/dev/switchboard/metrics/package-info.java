/**
 * The server's metrics, under the original server's names where it had them, exported by
 * MicroProfile Metrics in Prometheus text at {@code /metrics?scope=application}.
 */
package dev.switchboard.metrics;
