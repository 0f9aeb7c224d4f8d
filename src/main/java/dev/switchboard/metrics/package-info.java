/**
 * The server's metrics, under the original server's names where it had them: registered with
 * MicroProfile Metrics (exported by the server at {@code /metrics?scope=application}) and served
 * with Prometheus-correct histograms at {@code /prometheus}, the documented scrape path.
 */
package dev.switchboard.metrics;
