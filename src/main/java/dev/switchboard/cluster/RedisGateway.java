package dev.switchboard.cluster;

import dev.switchboard.metrics.SignalingMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Timeout;

/**
 * The one door to Redis for seat claims, releases and the liveness probe, behind one MicroProfile
 * Fault Tolerance circuit breaker: after {@code CB_ERROR_THRESHOLD} failed calls in a row it opens
 * for {@code CB_OPEN_MS} and calls fail at once instead of waiting on a dead server. (The two
 * settings reach the annotation through {@link FaultToleranceSettings}.) Publishing frames does not
 * come through here: it is asynchronous and is skipped while Redis is down.
 */
@ApplicationScoped
public class RedisGateway {

  @Inject SignalingMetrics metrics;

  /** Runs one blocking Redis operation. */
  @CircuitBreaker(
      requestVolumeThreshold = 5,
      failureRatio = 1.0,
      delay = 10_000,
      successThreshold = 1)
  @Timeout(value = 2_000, unit = ChronoUnit.MILLIS)
  public <T> T call(Callable<T> operation) throws Exception {
    long start = System.nanoTime();
    try {
      return operation.call();
    } finally {
      metrics.redisCommand(System.nanoTime() - start);
    }
  }
}
