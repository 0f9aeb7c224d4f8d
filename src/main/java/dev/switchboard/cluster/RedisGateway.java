package dev.switchboard.cluster;

import dev.switchboard.metrics.SignalingMetrics;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;

/**
 * The one door to Redis for seat claims, releases and the liveness probe, behind one MicroProfile
 * Fault Tolerance circuit breaker: after {@code CB_ERROR_THRESHOLD} failed calls in a row it opens
 * for {@code CB_OPEN_MS} and calls fail at once instead of waiting on a dead server. (The two
 * settings reach the annotation through {@link FaultToleranceSettings}.) Publishing frames does not
 * come through here: it is asynchronous and is skipped while Redis is down.
 *
 * <p>Each call waits at most {@link #TIMEOUT_MS} for Redis's answer, a bound kept here rather than
 * with MicroProfile's {@code @Timeout}: Payara's {@code @Timeout} schedules a task on a managed
 * executor for every call, and capturing the caller's context for it looks up the context providers
 * with a {@code ServiceLoader} scan of the application's class path, every time. A profile of a
 * Redis-backed instance taking connections showed that scan as half of its Redis threads' CPU; the
 * timeout stage as a whole was about 1.5 ms of CPU per call, against 0.1 ms for the Redis command
 * itself, and every join makes two calls. Redisson's own future gives the same bound for nothing.
 */
@ApplicationScoped
public class RedisGateway {

  /** How long a call waits for Redis before it counts as failed. */
  static final long TIMEOUT_MS = 2_000;

  @Inject SignalingMetrics metrics;

  /**
   * Starts one Redis operation and waits for its result, at most {@link #TIMEOUT_MS}. Throws what
   * the operation failed with, or a {@link TimeoutException}; either counts toward the breaker.
   *
   * <p>{@code operation} must return Redisson's own future (not one derived from it with {@code
   * thenApply} and the like): cancelling that one is what stops Redisson from sending the command
   * again on its retry after a timeout. A command Redis has already received cannot be recalled.
   */
  @CircuitBreaker(
      requestVolumeThreshold = 5,
      failureRatio = 1.0,
      delay = 10_000,
      successThreshold = 1)
  public <T> T call(Supplier<? extends CompletionStage<T>> operation) throws Exception {
    long start = System.nanoTime();
    try {
      return await(operation.get().toCompletableFuture(), TIMEOUT_MS);
    } finally {
      metrics.redisCommand(System.nanoTime() - start);
    }
  }

  /** The answer, what it failed with (unwrapped), or a {@link TimeoutException}. */
  static <T> T await(CompletableFuture<T> answer, long timeoutMs) throws Exception {
    try {
      return answer.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      answer.cancel(false);
      throw new TimeoutException("Redis did not answer within " + timeoutMs + " ms");
    } catch (InterruptedException e) {
      answer.cancel(false); // stopping: no retry of the command either
      Thread.currentThread().interrupt();
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception failure) {
        throw failure;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }
}
