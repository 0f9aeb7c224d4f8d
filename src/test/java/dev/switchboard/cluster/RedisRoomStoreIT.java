package dev.switchboard.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.it.RedisServer;
import dev.switchboard.room.PeerId;
import dev.switchboard.room.RoomId;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;

/**
 * Seat claims and releases against a real Redis, two instances' stores on one room, with Redis
 * refusing some commands through its ACL the way a Redis that fails them would. Above all: a leave
 * whose release script fails still tells the instances of the members who claimed seats after the
 * leaver, from the seats read instead. Each test runs both ways a store keeps its instance's seat
 * list: inside the seat scripts (one Redis server) and by separate calls (what a Cluster needs).
 */
class RedisRoomStoreIT {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private static RedisServer redis;
  private static RedissonClient client;
  private static ExecutorService io;

  @BeforeAll
  static void start() {
    redis = RedisServer.start("store");
    SignalingConfig config = SignalingConfig.from(Map.of("REDIS_URL", redis.url())::get);
    client = Redisson.create(ClusterProducer.redissonConfig(config));
    io = Executors.newFixedThreadPool(2);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (io != null) {
      io.shutdown();
      io.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (client != null) {
      client.shutdown(0, 2, TimeUnit.SECONDS);
    }
    if (redis != null) {
      redis.close();
    }
  }

  @AfterEach
  void allowEverything() {
    redis.call("ACL", "SETUSER", "default", "+@all");
  }

  /** What a store told the bus of its releases. */
  private record Release(RoomId room, PeerId peer, Map<String, String> rest) {}

  /** One instance's store, and the releases it reported. */
  private record Instance(String id, RedisRoomStore store, List<Release> releases) {

    static Instance start(String name, boolean listInScript) {
      String id = name + "-" + System.nanoTime();
      List<Release> releases = new CopyOnWriteArrayList<>();
      RedisRoomStore.SeatObserver observer =
          new RedisRoomStore.SeatObserver() {
            @Override
            public void claimed(RoomId room, Map<String, String> seats) {}

            @Override
            public void released(RoomId room, PeerId peer, Map<String, String> rest) {
              releases.add(new Release(room, peer, rest));
            }
          };
      RedisRoomStore store =
          new RedisRoomStore(
              client, observer, new UnguardedGateway(), io, id, 2, 120, listInScript);
      return new Instance(id, store, releases);
    }

    boolean claim(RoomId room, PeerId peer) {
      return join(store.claimSeat(room, peer));
    }

    void release(RoomId room, PeerId peer) {
      join(store.releaseSeat(room, peer));
    }

    private static <T> T join(CompletionStage<T> stage) {
      return stage.toCompletableFuture().orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }
  }

  /**
   * The gateway without its CDI parts: no breaker (an interceptor binding, inert outside the
   * container) and no metrics, the same bounded wait.
   */
  private static final class UnguardedGateway extends RedisGateway {
    @Override
    public <T> T call(Supplier<? extends CompletionStage<T>> operation) throws Exception {
      return await(operation.get().toCompletableFuture(), TIMEOUT_MS);
    }
  }

  /**
   * A room in which {@code leaver} claimed a seat through instance a, then {@code mate} through b.
   */
  private record TwoMembers(Instance a, Instance b, RoomId room, PeerId leaver, PeerId mate) {

    static TwoMembers join(String name, boolean listInScript) {
      TwoMembers m =
          new TwoMembers(
              Instance.start("a", listInScript),
              Instance.start("b", listInScript),
              new RoomId(name + "-" + System.nanoTime()),
              PeerId.random(),
              PeerId.random());
      assertThat(m.a().claim(m.room(), m.leaver())).isTrue();
      assertThat(m.b().claim(m.room(), m.mate())).isTrue();
      return m;
    }
  }

  @ParameterizedTest(name = "seat list in the script: {0}")
  @ValueSource(booleans = {true, false})
  void aClaimListsTheSeatUnderItsInstanceAndARefusedOneLeavesNothingListed(boolean listInScript) {
    TwoMembers m = TwoMembers.join("claim", listInScript);
    Instance c = Instance.start("c", listInScript);
    PeerId third = PeerId.random();

    assertThat(c.claim(m.room(), third)).as("a third member of a room of two").isFalse();

    assertThat(redis.callList("SMEMBERS", RedisKeys.instanceSeats(m.a().id())))
        .containsExactly(RedisKeys.seatEntry(m.room(), m.leaver().toString()));
    assertThat(redis.callList("SMEMBERS", RedisKeys.instanceSeats(m.b().id())))
        .containsExactly(RedisKeys.seatEntry(m.room(), m.mate().toString()));
    assertThat(redis.callList("SMEMBERS", RedisKeys.instanceSeats(c.id()))).isEmpty();
    assertThat(redis.callMap("HGETALL", RedisKeys.seats(m.room())))
        .containsOnlyKeys(m.leaver().toString(), m.mate().toString());
  }

  @ParameterizedTest(name = "seat list in the script: {0}")
  @ValueSource(booleans = {true, false})
  void aClaimThatCannotListTheSeatDoesNotTakeIt(boolean listInScript) {
    // A seat taken but not listed would outlive its instance: no reaper would know of it.
    Instance a = Instance.start("a", listInScript);
    RoomId room = new RoomId("unlisted-" + System.nanoTime());
    PeerId peer = PeerId.random();
    redis.call("ACL", "SETUSER", "default", "-sadd");

    assertThatThrownBy(() -> a.claim(room, peer)).isInstanceOf(CompletionException.class);

    assertThat(redis.callMap("HGETALL", RedisKeys.seats(room))).isEmpty();
    assertThat(redis.callList("SMEMBERS", RedisKeys.instanceSeats(a.id()))).isEmpty();
  }

  @ParameterizedTest(name = "seat list in the script: {0}")
  @ValueSource(booleans = {true, false})
  void aReleaseReportsTheSeatsLeftAndFreesTheSeat(boolean listInScript) {
    TwoMembers m = TwoMembers.join("release", listInScript);
    Instance a = m.a();
    RoomId room = m.room();
    PeerId leaver = m.leaver();
    PeerId mate = m.mate();

    a.release(room, leaver);

    assertThat(a.releases())
        .containsExactly(new Release(room, leaver, Map.of(mate.toString(), m.b().id())));
    assertThat(redis.callMap("HGETALL", RedisKeys.seats(room))).containsOnlyKeys(mate.toString());
    assertThat(redis.callList("SMEMBERS", RedisKeys.instanceSeats(a.id()))).isEmpty();
  }

  @ParameterizedTest(name = "seat list in the script: {0}")
  @ValueSource(booleans = {true, false})
  void aReleaseWhoseScriptFailsStillReportsTheRoomMatesFromTheSeatsRead(boolean listInScript) {
    TwoMembers m = TwoMembers.join("release-fails", listInScript);
    Instance a = m.a();
    RoomId room = m.room();
    PeerId leaver = m.leaver();
    PeerId mate = m.mate();
    redis.call("ACL", "SETUSER", "default", "-eval", "-evalsha");

    a.release(room, leaver);

    // The mate's instance is in what the bus hears, so the leave reaches it.
    assertThat(a.releases()).hasSize(1);
    assertThat(a.releases().get(0).rest())
        .containsEntry(mate.toString(), m.b().id())
        .containsEntry(leaver.toString(), a.id());
    // The seat stays taken and listed under a, for a's next registration (or the reaper) to free.
    assertThat(redis.callMap("HGETALL", RedisKeys.seats(room)))
        .containsOnlyKeys(leaver.toString(), mate.toString());
    assertThat(redis.callList("SMEMBERS", RedisKeys.instanceSeats(a.id())))
        .containsExactly(RedisKeys.seatEntry(room, leaver.toString()));
  }

  @ParameterizedTest(name = "seat list in the script: {0}")
  @ValueSource(booleans = {true, false})
  void aReleaseThatCannotReadTheSeatsEitherReportsNoneAndStillCompletes(boolean listInScript) {
    TwoMembers m = TwoMembers.join("all-fails", listInScript);
    Instance a = m.a();
    RoomId room = m.room();
    PeerId leaver = m.leaver();
    redis.call("ACL", "SETUSER", "default", "-eval", "-evalsha", "-hgetall");

    a.release(room, leaver);

    assertThat(a.releases()).containsExactly(new Release(room, leaver, Map.of()));
  }
}
