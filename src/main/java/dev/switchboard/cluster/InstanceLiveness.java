package dev.switchboard.cluster;

import dev.switchboard.room.RoomId;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.redisson.api.NodeType;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.codec.StringCodec;
import org.redisson.connection.ConnectionListener;

/**
 * Keeps this instance visible and cleans up after dead ones.
 *
 * <ul>
 *   <li>Every {@link #PROBE_MS} it refreshes its liveness key (TTL {@code INSTANCE_TTL_MS}) through
 *       the circuit breaker. That write is also the Redis health probe: its outcome drives {@code
 *       /readyz} and {@code signaling_redis_up} (down after {@link #DOWN_AFTER_FAILURES} failures
 *       in a row).
 *   <li>When a connection to Redis closes, the probe under way fails at once instead of waiting out
 *       its bound: Redisson does not fail a command whose connection closes under it, so a Redis
 *       killed while it held the probe (or frozen, then killed) kept {@code /readyz} at 200 for
 *       2.25-2.45 s. The next probe, 250 ms later, fails fast on the closed connection.
 *   <li>When Redis answers (at start, and again after failing), it re-registers itself, claims
 *       again the seats of every member still connected here (Redis may have lost them, or another
 *       instance reaped them) and announces them to the instances holding their room mates, and
 *       frees the seats it still holds in Redis for members that are gone (their release failed
 *       while Redis was down, or an earlier run with the same {@code INSTANCE_ID} died), telling
 *       their rooms.
 *   <li>Every quarter of the TTL it looks for instances whose liveness key expired, and frees their
 *       seats, telling each room {@code peer-disconnected}. One survivor wins each dead instance: a
 *       script checks that the liveness key is gone and sets a reaper key in the same slot, in one
 *       step, and an instance that comes back does not register while that key stands, so it never
 *       re-claims seats that are being freed under it. A survivor does not reap until its own
 *       connection has been up for a whole TTL, so instances that were cut off with it get time to
 *       refresh.
 * </ul>
 */
final class InstanceLiveness {

  private static final Logger LOG = Logger.getLogger(InstanceLiveness.class.getName());
  static final long PROBE_MS = 250;

  /**
   * Failed probes in a row before Redis counts as down: right after Redis comes back, one write can
   * still fail on a pooled connection that died with the old server, and readiness should not flap
   * for it.
   */
  static final int DOWN_AFTER_FAILURES = 2;

  /**
   * KEYS: the dead instance's liveness key, its reaper key. ARGV: reaper id, reaper key TTL (ms).
   */
  static final String CLAIM_REAP =
      """
      if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
      if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
      return 0
      """;

  /** Long enough to free thousands of seats; expires if the reaper dies half-way. */
  private static final long REAPER_KEY_MS = 60_000;

  private final RedissonClient redis;
  private final RedisRoomStore store;
  private final RedisRoomBus bus;
  private final String instanceId;
  private final Duration ttl;
  private final Supplier<Stream<Map.Entry<RoomId, String>>> localSeats;
  private final Set<String> reaping = ConcurrentHashMap.newKeySet();
  private volatile boolean up;
  private volatile long upSince;

  /**
   * When the last probe that refreshed the liveness key of a registered instance started (Redis set
   * the key's TTL after that); at first, long enough ago that the key counts as expired.
   */
  private volatile long refreshedAt;

  private int failures; // probe thread only
  private volatile CompletableFuture<?> probeUnderWay;

  InstanceLiveness(
      RedissonClient redis,
      RedisRoomStore store,
      RedisRoomBus bus,
      String instanceId,
      Duration ttl,
      Supplier<Stream<Map.Entry<RoomId, String>>> localSeats) {
    this.redis = redis;
    this.store = store;
    this.bus = bus;
    this.instanceId = instanceId;
    this.ttl = ttl;
    this.localSeats = localSeats;
    this.refreshedAt = System.nanoTime() - ttl.toNanos();
  }

  void start(ScheduledExecutorService scheduler) {
    probe();
    scheduler.scheduleWithFixedDelay(this::probe, PROBE_MS, PROBE_MS, TimeUnit.MILLISECONDS);
    long reapEvery = Math.max(250, ttl.toMillis() / 4);
    scheduler.scheduleWithFixedDelay(this::reap, reapEvery, reapEvery, TimeUnit.MILLISECONDS);
  }

  boolean isUp() {
    return up;
  }

  /**
   * Whether the liveness key this registered instance last wrote is certainly still in Redis, with
   * {@link RedisGateway#TIMEOUT_MS} to spare for a command under way: until then no other instance
   * can reap this one's seats, even while the probe says Redis is down.
   */
  boolean keyCertainlyAlive() {
    long spare = TimeUnit.MILLISECONDS.toNanos(RedisGateway.TIMEOUT_MS);
    return System.nanoTime() - refreshedAt < ttl.toNanos() - spare;
  }

  /**
   * On a clean stop, after the drain released this instance's seats: drops the liveness key so that
   * survivors free any seat that is left at once instead of after the TTL.
   */
  void stop() {
    try {
      store.call(() -> redis.getKeys().deleteAsync(RedisKeys.alive(instanceId)));
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "Could not drop the liveness key; it expires by itself", e);
    }
  }

  void probe() {
    boolean wasUp = up;
    boolean nowUp;
    boolean wrote = false;
    long start = System.nanoTime();
    try {
      store.call(
          () -> {
            RFuture<Void> written =
                redis
                    .<String>getBucket(RedisKeys.alive(instanceId), StringCodec.INSTANCE)
                    .setAsync(String.valueOf(System.currentTimeMillis()), ttl);
            probeUnderWay = written.toCompletableFuture();
            return written;
          });
      nowUp = true;
      wrote = true;
      failures = 0;
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "Redis probe failed", e);
      failures++;
      nowUp = wasUp && failures < DOWN_AFTER_FAILURES;
    } finally {
      probeUnderWay = null;
    }
    if (nowUp && !wasUp) {
      nowUp = register();
    }
    if (wrote && nowUp) {
      refreshedAt = start;
    }
    if (nowUp != wasUp) {
      upSince = System.nanoTime();
      LOG.log(
          nowUp ? Level.INFO : Level.WARNING,
          nowUp
              ? "Redis is reachable: joins accepted, rooms shared with other instances"
              : "Redis is unreachable: new joins refused with 1013, local relaying continues");
    }
    up = nowUp;
    store.backendUp(nowUp);
  }

  /** A connection to Redis closed: the probe under way, if any, fails now. */
  void connectionClosed() {
    CompletableFuture<?> underWay = probeUnderWay;
    if (underWay != null) {
      underWay.completeExceptionally(
          new RedisConnectionException("A connection to Redis closed with the probe under way"));
    }
  }

  /**
   * Redisson's connection listener for this instance's client: tells {@code liveness} (once there
   * is one) of every closed connection, and passes every event on to the listener the Redisson
   * configuration already had, if any.
   */
  static ConnectionListener listener(
      ConnectionListener configured, Supplier<InstanceLiveness> liveness) {
    return new ConnectionListener() {
      @Override
      public void onConnect(InetSocketAddress address, NodeType type) {
        if (configured != null) {
          configured.onConnect(address, type);
        }
      }

      @Override
      public void onDisconnect(InetSocketAddress address, NodeType type) {
        InstanceLiveness live = liveness.get();
        if (live != null) {
          live.connectionClosed();
        }
        if (configured != null) {
          configured.onDisconnect(address, type);
        }
      }

      @Override
      @SuppressWarnings("deprecation")
      public void onConnect(InetSocketAddress address) {
        // Redisson calls the two-argument form.
      }

      @Override
      @SuppressWarnings("deprecation")
      public void onDisconnect(InetSocketAddress address) {
        // Redisson calls the two-argument form.
      }
    };
  }

  /**
   * Adds this instance to the instance set and brings its seats in Redis in line with its members.
   * New joins are refused until this is done, so the members cannot change under it.
   */
  private boolean register() {
    try {
      if (store.call(
          () ->
              redis
                  .getBucket(RedisKeys.reaper(instanceId), StringCodec.INSTANCE)
                  .isExistsAsync())) {
        LOG.fine("Another instance is freeing this one's seats; registering once it is done");
        return false;
      }
      store.call(
          () ->
              redis.<String>getSet(RedisKeys.INSTANCES, StringCodec.INSTANCE).addAsync(instanceId));
      Set<String> live = new HashSet<>();
      localSeats
          .get()
          .forEach(
              seat -> {
                bus.announceJoined(
                    seat.getKey(), seat.getValue(), store.reclaim(seat.getKey(), seat.getValue()));
                live.add(RedisKeys.seatEntry(seat.getKey(), seat.getValue()));
              });
      int freed = releaseSeatsOfDepartedMembers(instanceId, live);
      if (freed > 0) {
        LOG.info(
            () ->
                "Freed "
                    + freed
                    + " seats of members no longer here (they left while Redis was unreachable,"
                    + " or during an earlier run under this INSTANCE_ID)");
      }
      return true;
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "Re-registering with Redis failed", e);
      return false;
    }
  }

  /**
   * Frees the seats {@code holder} still has listed in Redis except {@code keep}, telling each room
   * {@code peer-disconnected}; returns how many it freed.
   */
  private int releaseSeatsOfDepartedMembers(String holder, Set<String> keep) {
    Set<String> listed =
        store.call(
            () ->
                redis
                    .<String>getSet(RedisKeys.instanceSeats(holder), StringCodec.INSTANCE)
                    .readAllAsync());
    int freed = 0;
    for (String seat : listed) {
      if (keep.contains(seat)) {
        continue;
      }
      int newline = seat.indexOf('\n');
      RoomId room = new RoomId(seat.substring(0, newline));
      String peer = seat.substring(newline + 1);
      RedisRoomStore.Released released = store.release(room, peer, holder);
      if (released.removed()) {
        bus.announceLeft(room, holder, peer, released.rest());
        freed++;
      }
    }
    return freed;
  }

  void reap() {
    if (!up || System.nanoTime() - upSince < ttl.toNanos()) {
      return;
    }
    try {
      Set<String> instances =
          store.call(
              () -> redis.<String>getSet(RedisKeys.INSTANCES, StringCodec.INSTANCE).readAllAsync());
      for (String other : instances) {
        if (other.equals(instanceId) || reaping.contains(other)) {
          continue;
        }
        boolean alive =
            store.call(
                () ->
                    redis
                        .<String>getBucket(RedisKeys.alive(other), StringCodec.INSTANCE)
                        .isExistsAsync());
        if (!alive) {
          reapInstance(other);
        }
      }
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "Reaping failed; trying again later", e);
    }
  }

  private void reapInstance(String dead) {
    Long won =
        store.call(
            () ->
                redis
                    .getScript(StringCodec.INSTANCE)
                    .<Long>evalAsync(
                        RedisKeys.alive(dead),
                        RScript.Mode.READ_WRITE,
                        CLAIM_REAP,
                        RScript.ReturnType.INTEGER,
                        List.of(RedisKeys.alive(dead), RedisKeys.reaper(dead)),
                        instanceId,
                        String.valueOf(REAPER_KEY_MS)));
    if (won == null || won != 1L) {
      return; // it came back, or another survivor is on it
    }
    reaping.add(dead);
    try {
      int freed = releaseSeatsOfDepartedMembers(dead, Set.of());
      store.call(() -> redis.getKeys().deleteAsync(RedisKeys.instanceSeats(dead)));
      store.call(
          () -> redis.<String>getSet(RedisKeys.INSTANCES, StringCodec.INSTANCE).removeAsync(dead));
      bus.forget(dead);
      LOG.info(() -> "Instance " + dead + " stopped answering; freed its " + freed + " seats");
    } finally {
      reaping.remove(dead);
      try {
        store.call(() -> redis.getKeys().deleteAsync(RedisKeys.reaper(dead)));
      } catch (RuntimeException e) {
        LOG.log(Level.FINE, "Could not drop the reaper key; it expires by itself", e);
      }
    }
  }
}
