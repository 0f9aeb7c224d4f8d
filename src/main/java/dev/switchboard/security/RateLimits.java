package dev.switchboard.security;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.room.Background;
import dev.switchboard.room.RoomId;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The original server's four limits, each a Bucket4j token bucket that refills continuously over
 * ten seconds (the original's per-connection bucket under-refilled fast senders, and its other
 * limits were fixed windows that let twice the rate through across a window edge): new connections
 * per client address, messages per connection, messages per client address and messages per room.
 *
 * <p>Counted on this instance, and with Redis the per-address and per-room limits also across
 * instances ({@link SharedLimits}). A limit of 0 is off. Buckets of addresses and rooms that have
 * been quiet for a whole window are full again, and {@link #sweep()} drops them, so the maps stay
 * as small as the set of recently active clients and rooms.
 */
@ApplicationScoped
public class RateLimits {

  static final Duration WINDOW = Duration.ofSeconds(10);

  /** Which limit refused something; the {@code limit} label of the drop counter. */
  /**
   * This object itself, even when called through CDI's client proxy: the endpoint keeps it and
   * calls it per message without the proxy's context lookup (see {@code RoomRegistry.unproxied}).
   */
  public Supplier<RateLimits> unproxied() {
    return () -> this;
  }

  public enum Limit {
    CONNECTIONS,
    MESSAGES,
    IP_MESSAGES,
    ROOM_MESSAGES;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A refusal: which limit, and when the client may try again. */
  public record Refusal(Limit limit, long retryAfterMs) {}

  private TimeMeter clock;
  private int connectionsPerWindow;
  private int messagesPerConnection;
  private int messagesPerAddress;
  private int messagesPerRoom;
  private final ConcurrentMap<String, Bucket> connectionsByAddress = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Bucket> messagesByAddress = new ConcurrentHashMap<>();
  private final ConcurrentMap<RoomId, Bucket> messagesByRoom = new ConcurrentHashMap<>();
  private SharedLimits shared;

  @Inject @Background ScheduledExecutorService scheduler;

  protected RateLimits() {} // for CDI's proxy

  @Inject
  public RateLimits(SignalingConfig config, SharedLimits shared) {
    this(config, shared, TimeMeter.SYSTEM_NANOTIME);
  }

  /** With a clock of the test's own. */
  RateLimits(SignalingConfig config, SharedLimits shared, TimeMeter clock) {
    this.clock = clock;
    this.shared = shared;
    connectionsPerWindow = config.rateLimitConnPer10s();
    messagesPerConnection = config.rateLimitMessagesPer10s();
    messagesPerAddress = config.rateLimitIpMsgsPer10s();
    messagesPerRoom = config.rateLimitRoomMsgsPer10s();
  }

  void start(@Observes @Initialized(ApplicationScoped.class) Object applicationStarted) {
    long every = WINDOW.toMillis();
    scheduler.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
  }

  private Bucket bucket(int perWindow) {
    return Bucket.builder()
        .withCustomTimePrecision(clock)
        .addLimit(Bandwidth.builder().capacity(perWindow).refillGreedy(perWindow, WINDOW).build())
        .build();
  }

  /** A new connection from {@code address}: null if admitted. */
  public Refusal admitConnection(String address) {
    return take(connectionsByAddress, address, connectionsPerWindow, Limit.CONNECTIONS);
  }

  /** The message bucket of one new connection; null when that limit is off. */
  public Bucket connectionBucket() {
    return messagesPerConnection == 0 ? null : bucket(messagesPerConnection);
  }

  /** True while limits counted in Redis cannot reach it and fall back to this instance's counts. */
  public boolean sharedFailingOpen() {
    return shared.failingOpen();
  }

  /**
   * One message on a connection with bucket {@code own}, from {@code address} (null if unknown), in
   * {@code room}: null if admitted. A message refused by a later limit has still used a token of
   * the earlier ones, as it would have in the original.
   */
  public Refusal admitMessage(Bucket own, String address, RoomId room) {
    Refusal refused = own == null ? null : take(own, Limit.MESSAGES);
    if (refused == null && address != null) {
      refused = take(messagesByAddress, address, messagesPerAddress, Limit.IP_MESSAGES);
      if (refused == null && messagesPerAddress > 0) {
        refused = shared.admit(Limit.IP_MESSAGES, address, messagesPerAddress);
      }
    }
    if (refused == null) {
      refused = take(messagesByRoom, room, messagesPerRoom, Limit.ROOM_MESSAGES);
      if (refused == null && messagesPerRoom > 0) {
        refused = shared.admit(Limit.ROOM_MESSAGES, room.value(), messagesPerRoom);
      }
    }
    return refused;
  }

  private <K> Refusal take(ConcurrentMap<K, Bucket> buckets, K key, int perWindow, Limit limit) {
    if (perWindow == 0) {
      return null; // this limit is off
    }
    return take(buckets.computeIfAbsent(key, newBucket(perWindow)), limit);
  }

  private <K> Function<K, Bucket> newBucket(int perWindow) {
    return key -> bucket(perWindow);
  }

  private static Refusal take(Bucket bucket, Limit limit) {
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
    if (probe.isConsumed()) {
      return null;
    }
    // Rounded up: a client that waits exactly the hint gets its token.
    long millis = (probe.getNanosToWaitForRefill() + 999_999) / 1_000_000;
    return new Refusal(limit, Math.max(1, millis));
  }

  /**
   * Drops the buckets that are full again. A client that races the sweep gets a fresh, full bucket:
   * at worst one window of leniency, never a wrong refusal.
   */
  public void sweep() {
    connectionsByAddress.values().removeIf(b -> b.getAvailableTokens() >= connectionsPerWindow);
    messagesByAddress.values().removeIf(b -> b.getAvailableTokens() >= messagesPerAddress);
    messagesByRoom.values().removeIf(b -> b.getAvailableTokens() >= messagesPerRoom);
    shared.sweep();
  }

  int trackedKeys() {
    return connectionsByAddress.size() + messagesByAddress.size() + messagesByRoom.size();
  }
}
