/**
 * Liveness and readiness: the original's {@code /healthz} and {@code /readyz}, and the same
 * verdicts as MicroProfile Health checks at {@code /health/live} and {@code /health/ready}.
 */
package dev.switchboard.health;
