package dev.switchboard.cluster;

import dev.switchboard.security.RateLimits;
import dev.switchboard.security.SharedLimits;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.redisson.api.RRateLimiter;
import org.redisson.api.RateType;
import org.redisson.api.RedissonClient;

/**
 * Per-address and per-room message limits counted cluster-wide with Redisson's {@link RRateLimiter}
 * (a sliding window of {@code perWindow} permits per ten seconds, shared by every instance),
 * without ever making a message wait for Redis.
 *
 * <p>Each key is in one of two modes:
 *
 * <ul>
 *   <li><b>Optimistic</b> while the shared window has room: the message is admitted at once and a
 *       permit taken for it asynchronously. When Redis answers that the window is full, the key
 *       turns cautious. Only the messages sent during that one round trip can overshoot.
 *   <li><b>Cautious</b> once the shared window has been full: a message is admitted only with a
 *       permit this instance took in advance. A refused message starts taking the next one (at most
 *       one in flight and one held per key, and no more often than a quarter of a permit's
 *       spacing), so the instances share the window's permits as they free up, none beyond it.
 * </ul>
 *
 * A key quiet for a whole window is forgotten (optimistic again). While Redis is down (the store's
 * probe says so, or its breaker is open) every key fails open: only each instance's own buckets in
 * {@link RateLimits} apply, and {@link #failingOpen()} says so for the metric.
 */
final class RedisSharedLimits implements SharedLimits {

  private static final Logger LOG = Logger.getLogger(RedisSharedLimits.class.getName());
  private static final Duration WINDOW = Duration.ofSeconds(10);

  /** Redis forgets a limiter's window and settings after this much quiet. */
  private static final Duration KEEP_ALIVE = WINDOW.multipliedBy(2);

  private final RedissonClient redis;
  private final BooleanSupplier redisUp;
  private final ConcurrentMap<KeyId, Key> keys = new ConcurrentHashMap<>();

  /** Which limit, for which address or room. */
  private record KeyId(RateLimits.Limit limit, String key) {
    String redisName() {
      return RedisKeys.rateLimit(limit.label() + ":" + key);
    }
  }

  RedisSharedLimits(RedissonClient redis, BooleanSupplier redisUp) {
    this.redis = redis;
    this.redisUp = redisUp;
  }

  /** One shared window and what this instance knows of it. */
  private static final class Key {
    final RRateLimiter limiter;
    final AtomicInteger credit = new AtomicInteger();
    final AtomicBoolean reserving = new AtomicBoolean();
    volatile boolean cautious;
    volatile boolean configured;
    volatile long nextReserveNanos;
    volatile long lastUsedNanos;

    Key(RRateLimiter limiter) {
      this.limiter = limiter;
    }
  }

  @Override
  public RateLimits.Refusal admit(RateLimits.Limit limit, String key, int perWindow) {
    if (!redisUp.getAsBoolean()) {
      return null; // fail open: this instance's own bucket has already admitted the message
    }
    Key k =
        keys.computeIfAbsent(
            new KeyId(limit, key), id -> new Key(redis.getRateLimiter(id.redisName())));
    long now = System.nanoTime();
    k.lastUsedNanos = now;
    if (!k.cautious) {
      acquire(k, perWindow)
          .whenComplete(
              (taken, failure) -> {
                if (failure == null && !taken) {
                  k.cautious = true; // this message overshot; the next ones wait for permits
                }
              });
      return null;
    }
    if (takeCredit(k)) {
      return null;
    }
    reserve(k, perWindow, now);
    return new RateLimits.Refusal(limit, Math.max(1, spacingNanos(perWindow) / 1_000_000));
  }

  private static boolean takeCredit(Key k) {
    int credit;
    do {
      credit = k.credit.get();
      if (credit == 0) {
        return false;
      }
    } while (!k.credit.compareAndSet(credit, credit - 1));
    return true;
  }

  /** Takes one permit ahead for the key's next message, unless one is held or on its way. */
  private void reserve(Key k, int perWindow, long now) {
    if (k.credit.get() > 0
        || now - k.nextReserveNanos < 0
        || !k.reserving.compareAndSet(false, true)) {
      return;
    }
    k.nextReserveNanos = now + spacingNanos(perWindow) / 4;
    acquire(k, perWindow)
        .whenComplete(
            (taken, failure) -> {
              if (failure == null && taken) {
                k.credit.incrementAndGet();
              }
              k.reserving.set(false);
            });
  }

  /** One permit from the shared window: true if taken; completes exceptionally if Redis failed. */
  private CompletionStage<Boolean> acquire(Key k, int perWindow) {
    CompletionStage<Void> configured =
        k.configured
            ? CompletableFuture.completedFuture(null)
            : k.limiter
                .trySetRateAsync(RateType.OVERALL, perWindow, WINDOW, KEEP_ALIVE)
                .thenAccept(set -> k.configured = true);
    CompletionStage<Boolean> taken =
        configured.thenCompose(ignored -> k.limiter.tryAcquireAsync(1));
    taken.whenComplete(
        (ok, failure) -> {
          if (failure != null) {
            // Redis lost the limiter's settings (expired while this instance still knew the key),
            // or did not answer: this message went uncounted, and the next one configures again.
            k.configured = false;
            LOG.log(Level.FINE, "Shared rate limit not counted", failure);
          }
        });
    return taken;
  }

  private static long spacingNanos(int perWindow) {
    return WINDOW.toNanos() / perWindow;
  }

  @Override
  public boolean failingOpen() {
    return !redisUp.getAsBoolean();
  }

  @Override
  public void sweep() {
    long now = System.nanoTime();
    keys.values().removeIf(k -> now - k.lastUsedNanos >= WINDOW.toNanos());
  }

  int trackedKeys() {
    return keys.size();
  }
}
