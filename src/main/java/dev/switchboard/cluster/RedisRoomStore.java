package dev.switchboard.cluster;

import dev.switchboard.room.PeerId;
import dev.switchboard.room.RoomId;
import dev.switchboard.room.RoomStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * Seats in Redis, claimed and released by Lua scripts so capacity holds across instances: a room's
 * seat hash and record share one hash slot, and each script runs atomically on it. An emptied
 * room's record is kept for {@code ROOM_TTL_SECONDS}. Every instance also lists the seats it holds,
 * so that others can free them if it dies (see {@link InstanceLiveness}). On one Redis server (or
 * Sentinel) the scripts keep that list in the same step, so a join or a leave is one round trip; on
 * a Cluster the list lives in the instance's slot, which a script on the room's slot cannot touch,
 * so it is a second call.
 *
 * <p>Calls wait on a small pool of their own (never the caller) and go through the {@link
 * RedisGateway} circuit breaker.
 */
final class RedisRoomStore implements RoomStore {

  private static final Logger LOG = Logger.getLogger(RedisRoomStore.class.getName());

  /**
   * KEYS: seats, room, and (when {@link #listInScript}) the instance's seat list. ARGV: peer,
   * instance, capacity, now (ms), force (1 ignores capacity), and the seat's entry in the list.
   * Returns the room's seats after the claim (peer, holder, peer, holder...), or nothing if the
   * room is full: read in the same step, so of two members joining on different instances at once,
   * the later claim always sees the earlier one (see {@link SeatObserver}).
   *
   * <p>The seat is listed before it is taken: a script stops at the first command that fails, and
   * what it did until then stays done, so a failure leaves at worst a seat listed but not taken,
   * which the reaper and the next registration release as free.
   */
  static final String CLAIM =
      """
      local held = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
      if not held and ARGV[5] ~= '1' and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
        return {}
      end
      if KEYS[3] then redis.call('SADD', KEYS[3], ARGV[6]) end
      if not held then
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('HSETNX', KEYS[2], 'createdAt', ARGV[4])
        redis.call('HDEL', KEYS[2], 'emptiedAt')
        redis.call('PERSIST', KEYS[2])
      end
      return redis.call('HGETALL', KEYS[1])
      """;

  /**
   * KEYS: seats, room, and (when {@link #listInScript}) the holder's seat list. ARGV: peer, now
   * (ms), room TTL (s; 0 deletes the record at once), and the seat's entry in the list. Returns '1'
   * or '0' (whether the seat was taken) followed by the seats left (peer, holder...). The seat is
   * freed before it is unlisted (a seat left listed is released again later, finding it free).
   */
  static final String RELEASE =
      """
      local removed = redis.call('HDEL', KEYS[1], ARGV[1])
      if removed == 1 and redis.call('HLEN', KEYS[1]) == 0 then
        if tonumber(ARGV[3]) > 0 then
          redis.call('HSET', KEYS[2], 'emptiedAt', ARGV[2])
          redis.call('EXPIRE', KEYS[2], ARGV[3])
        else
          redis.call('DEL', KEYS[2])
        end
      end
      if KEYS[3] then redis.call('SREM', KEYS[3], ARGV[4]) end
      local rest = redis.call('HGETALL', KEYS[1])
      table.insert(rest, 1, tostring(removed))
      return rest
      """;

  /**
   * Hears the seats a claim or release saw, read atomically with it: the bus learns from them which
   * instances hold the room's other members.
   */
  interface SeatObserver {

    /** After this instance claimed a seat in {@code room}: every seat, its own included. */
    void claimed(RoomId room, Map<String, String> seats);

    /** After this instance released {@code peer}'s seat: the seats left. */
    void released(RoomId room, PeerId peer, Map<String, String> rest);
  }

  /**
   * What a release found: whether the seat was still taken, and the seats left (peer to holder).
   */
  record Released(boolean removed, Map<String, String> rest) {}

  private final RedissonClient redis;
  private final SeatObserver observer;
  private final RedisGateway gateway;
  private final Executor io;
  private final String instanceId;
  private final int capacity;
  private final int roomTtlSeconds;

  /**
   * Whether the seat scripts also keep the instance's seat list: a script may then touch keys of
   * two hash slots, which only a Redis Cluster refuses.
   */
  private final boolean listInScript;

  private volatile boolean backendUp = true;
  private volatile boolean circuitOpen;

  RedisRoomStore(
      RedissonClient redis,
      SeatObserver observer,
      RedisGateway gateway,
      Executor io,
      String instanceId,
      int capacity,
      int roomTtlSeconds,
      boolean listInScript) {
    this.redis = redis;
    this.observer = observer;
    this.gateway = gateway;
    this.io = io;
    this.instanceId = instanceId;
    this.capacity = capacity;
    this.roomTtlSeconds = roomTtlSeconds;
    this.listInScript = listInScript;
  }

  @Override
  public CompletionStage<Boolean> claimSeat(RoomId room, PeerId peer) {
    return CompletableFuture.supplyAsync(() -> claim(room, peer.toString(), false) != null, io);
  }

  /**
   * Claims again a seat this instance already holds, ignoring capacity: after Redis came back.
   * Returns the room's seats.
   */
  Map<String, String> reclaim(RoomId room, String peer) {
    return claim(room, peer, true);
  }

  /** The room's seats after the claim (the observer has heard them), or null if it was full. */
  private Map<String, String> claim(RoomId room, String peer, boolean force) {
    String entry = RedisKeys.seatEntry(room, peer);
    String list = RedisKeys.instanceSeats(instanceId);
    if (!listInScript) {
      // Listed first, so that a crash right after the claim still leaves the seat to the reaper;
      // releasing a seat that was never taken does nothing.
      call(() -> redis.<String>getSet(list, StringCodec.INSTANCE).addAsync(entry));
    }
    List<Object> result =
        call(
            () ->
                script()
                    .<List<Object>>evalAsync(
                        RedisKeys.seats(room),
                        RScript.Mode.READ_WRITE,
                        CLAIM,
                        RScript.ReturnType.MULTI,
                        keys(room, list),
                        peer,
                        instanceId,
                        String.valueOf(capacity),
                        String.valueOf(System.currentTimeMillis()),
                        force ? "1" : "0",
                        entry));
    if (result == null || result.isEmpty()) {
      if (!listInScript) {
        call(() -> redis.<String>getSet(list, StringCodec.INSTANCE).removeAsync(entry));
      }
      return null;
    }
    Map<String, String> seats = pairs(result, 0);
    observer.claimed(room, seats);
    return seats;
  }

  /** A seat script's keys: the room's two, and the seat list when the script keeps it. */
  private List<Object> keys(RoomId room, String seatList) {
    return listInScript
        ? List.of(RedisKeys.seats(room), RedisKeys.room(room), seatList)
        : List.of(RedisKeys.seats(room), RedisKeys.room(room));
  }

  /** A flat Redis reply (field, value, field, value...) from {@code from} on, as a map. */
  private static Map<String, String> pairs(List<Object> flat, int from) {
    Map<String, String> map = new HashMap<>();
    for (int i = from; i + 1 < flat.size(); i += 2) {
      map.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
    }
    return map;
  }

  @Override
  public CompletionStage<Void> releaseSeat(RoomId room, PeerId peer) {
    try {
      return CompletableFuture.runAsync(
          () -> {
            Map<String, String> rest;
            try {
              rest = release(room, peer.toString(), instanceId).rest();
            } catch (RuntimeException e) {
              // Redis is down or slow: the seat is freed when this instance registers again once
              // Redis is back (InstanceLiveness releases the seats of members that left meanwhile)
              // or, if this instance dies first, by the reaper. The members who claimed seats
              // since this one's must still hear of the leave: read who they are.
              LOG.log(Level.FINE, "Seat release failed", e);
              rest = seatsOrNone(room);
            }
            observer.released(room, peer, rest);
          },
          io);
    } catch (RejectedExecutionException shuttingDown) {
      // A close that arrives after shutdown began: stopping drops this instance's liveness key,
      // and the survivors free what is left at once.
      return CompletableFuture.completedFuture(null);
    }
  }

  /** The room's seats, or none if Redis does not answer. */
  private Map<String, String> seatsOrNone(RoomId room) {
    try {
      return call(
          () ->
              redis
                  .<String, String>getMap(RedisKeys.seats(room), StringCodec.INSTANCE)
                  .readAllMapAsync());
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "Could not read the seats either", e);
      return Map.of();
    }
  }

  /**
   * Frees a seat held by {@code holder} (this instance, or a dead one being reaped). Dropping it
   * from the holder's list is best effort: a seat left listed is released again, finding it free,
   * when the holder registers again or is reaped.
   */
  Released release(RoomId room, String peer, String holder) {
    String entry = RedisKeys.seatEntry(room, peer);
    String list = RedisKeys.instanceSeats(holder);
    List<Object> result =
        call(
            () ->
                script()
                    .<List<Object>>evalAsync(
                        RedisKeys.seats(room),
                        RScript.Mode.READ_WRITE,
                        RELEASE,
                        RScript.ReturnType.MULTI,
                        keys(room, list),
                        peer,
                        String.valueOf(System.currentTimeMillis()),
                        String.valueOf(roomTtlSeconds),
                        entry));
    Released released = new Released("1".equals(String.valueOf(result.get(0))), pairs(result, 1));
    if (!listInScript) {
      try {
        call(() -> redis.<String>getSet(list, StringCodec.INSTANCE).removeAsync(entry));
      } catch (RuntimeException e) {
        LOG.log(Level.FINE, "Could not drop a released seat from its holder's list", e);
      }
    }
    return released;
  }

  /**
   * Runs one Redis operation through the breaker and waits for it (see {@link RedisGateway}),
   * noting whether the breaker let it through.
   */
  <T> T call(Supplier<? extends CompletionStage<T>> operation) {
    try {
      T result = gateway.call(operation);
      circuitOpen = false;
      return result;
    } catch (CircuitBreakerOpenException e) {
      circuitOpen = true;
      throw new CompletionException(e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new CompletionException(e);
    }
  }

  private RScript script() {
    return redis.getScript(StringCodec.INSTANCE);
  }

  void backendUp(boolean up) {
    backendUp = up;
  }

  @Override
  public boolean isReady() {
    return backendUp && !circuitOpen;
  }

  @Override
  public boolean isBackendUp() {
    return backendUp;
  }

  @Override
  public boolean isCircuitOpen() {
    return circuitOpen;
  }
}
