package dev.switchboard.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.it.RedisServer;
import dev.switchboard.room.Frame;
import dev.switchboard.room.Peer;
import dev.switchboard.room.RoomBus;
import dev.switchboard.room.RoomEvents;
import dev.switchboard.room.RoomId;
import dev.switchboard.room.TestPeers;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.api.RFuture;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisTimeoutException;
import org.redisson.misc.CompletableFutureWrapper;

/**
 * The Redis bus between two instances, without servers around it: a real Redis, two real Redisson
 * clients, and on the sending side publishes that fail the way a saturated Redisson fails them.
 */
class RedisRoomBusIT {

  private static RedisServer redis;
  private static RedissonClient senderClient;
  private static RedissonClient receiverClient;

  @BeforeAll
  static void start() {
    redis = RedisServer.start("bus");
    SignalingConfig config = SignalingConfig.from(Map.of("REDIS_URL", redis.url())::get);
    senderClient = Redisson.create(ClusterProducer.redissonConfig(config));
    receiverClient = Redisson.create(ClusterProducer.redissonConfig(config));
  }

  @AfterAll
  static void stop() {
    for (RedissonClient client : new RedissonClient[] {senderClient, receiverClient}) {
      if (client != null) {
        client.shutdown(0, 2, TimeUnit.SECONDS);
      }
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** Counts what a bus reports. */
  private static final class Counts implements RoomEvents {
    final AtomicLong published = new AtomicLong();
    final AtomicLong received = new AtomicLong();
    final AtomicLong missing = new AtomicLong();
    final Map<RoomBus.Discard, AtomicLong> discarded =
        new java.util.EnumMap<>(RoomBus.Discard.class);

    Counts() {
      for (RoomBus.Discard d : RoomBus.Discard.values()) {
        discarded.put(d, new AtomicLong());
      }
    }

    @Override
    public void busFrames(RoomBus.Direction direction, int frames) {
      (direction == RoomBus.Direction.PUBLISHED ? published : received).addAndGet(frames);
    }

    @Override
    public void busDiscarded(RoomBus.Discard reason, int count) {
      discarded.get(reason).addAndGet(count);
    }

    @Override
    public void busMissing(long envelopes) {
      missing.addAndGet(envelopes);
    }
  }

  /**
   * {@code client}, except that its topics fail the next {@code failuresLeft} publishes, as
   * Redisson does when its I/O thread could not write a command in time. With {@code executed},
   * each of those publishes first really happens, as when Redis ran a PUBLISH whose reply came too
   * late.
   */
  private static RedissonClient failingPublishes(
      RedissonClient client, AtomicInteger failuresLeft, boolean executed) {
    return (RedissonClient)
        Proxy.newProxyInstance(
            RedissonClient.class.getClassLoader(),
            new Class<?>[] {RedissonClient.class},
            (proxy, method, args) -> {
              Object result = invoke(client, method, args);
              if (!(result instanceof RTopic topic)) {
                return result;
              }
              return Proxy.newProxyInstance(
                  RTopic.class.getClassLoader(),
                  new Class<?>[] {RTopic.class},
                  (p, m, a) -> {
                    if (m.getName().equals("publishAsync") && failuresLeft.getAndDecrement() > 0) {
                      if (executed) {
                        ((RFuture<?>) invoke(topic, m, a)).toCompletableFuture().join();
                      }
                      return new CompletableFutureWrapper<Long>(
                          new RedisTimeoutException(
                              "Command still hasn't been written into connection!"));
                    }
                    return invoke(topic, m, a);
                  });
            });
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args)
      throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /**
   * One room across two buses: {@code sender} (its publishes failing as {@code failuresLeft} and
   * {@code executed} say) and {@code receiver}, whose member the sender knows of, and what each
   * counted and the receiver delivered.
   */
  private record Link(
      RoomId room,
      AtomicInteger failuresLeft,
      RedisRoomBus sender,
      Counts senderCounts,
      Peer member,
      RedisRoomBus receiver,
      Counts receiverCounts,
      List<String> delivered) {

    static Link open(String name, boolean executed) {
      return open(name, executed, () -> true, () -> true);
    }

    /**
     * As above, with the sender's liveness probe saying what {@code probeUp} says, and its liveness
     * key certainly alive while {@code keyAlive} says so.
     */
    static Link open(
        String name, boolean executed, BooleanSupplier probeUp, BooleanSupplier keyAlive) {
      RoomId room = new RoomId(name + "-" + System.nanoTime());
      AtomicInteger failuresLeft = new AtomicInteger();
      Counts senderCounts = new Counts();
      Counts receiverCounts = new Counts();
      RedisRoomBus sender =
          new RedisRoomBus(
              failingPublishes(senderClient, failuresLeft, executed),
              "sender",
              false,
              probeUp,
              keyAlive,
              nanos -> {},
              senderCounts,
              1 << 20);
      RedisRoomBus receiver =
          new RedisRoomBus(
              receiverClient,
              "receiver",
              false,
              () -> true,
              () -> true,
              nanos -> {},
              receiverCounts,
              1 << 20);
      List<String> delivered = new CopyOnWriteArrayList<>();
      sender.attach((r, frame, sentAt) -> {});
      receiver.attach((r, frame, sentAt) -> delivered.add(frame.text()));
      receiver.open(room);
      receiver.ready(room).toCompletableFuture().join();
      // The receiving instance's member, as its seat in Redis: the sender reads it when it opens.
      redis.call("HSET", RedisKeys.seats(room), "member-on-receiver", "receiver");
      sender.open(room);
      sender.ready(room).toCompletableFuture().join();
      return new Link(
          room,
          failuresLeft,
          sender,
          senderCounts,
          TestPeers.peer(room),
          receiver,
          receiverCounts,
          delivered);
    }

    boolean send(String text) {
      return sender.publish(member, Frame.of(text));
    }

    void close() {
      sender.close(room);
      receiver.close(room);
    }
  }

  @Test
  void framesWhosePublishFailsWhileRedisIsUpAreSentAgainInOrderAndDeliveredOnce() {
    Link link = Link.open("bus-retry", false);

    assertThat(link.send("f0")).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> link.delivered().size() == 1);
    link.failuresLeft().set(3); // the next publish fails three times in a row
    for (int i = 1; i <= 50; i++) {
      assertThat(link.send("f" + i)).isTrue();
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                link.delivered().size() >= 51
                    || link.senderCounts().discarded.get(RoomBus.Discard.PUBLISH_FAILED).get() > 0);

    assertThat(link.delivered())
        .containsExactlyElementsOf(
            java.util.stream.IntStream.rangeClosed(0, 50).mapToObj(i -> "f" + i).toList());
    assertThat(link.senderCounts().discarded.get(RoomBus.Discard.PUBLISH_FAILED)).hasValue(0);
    await().atMost(Duration.ofSeconds(10)).until(() -> link.senderCounts().published.get() == 51);
    assertThat(link.receiverCounts().received).hasValue(51);
    assertThat(link.receiverCounts().missing).hasValue(0);
    link.close();
  }

  @Test
  void aPublishThatRedisRanButReportedFailedIsDeliveredOnceAndItsRepeatDropped() {
    Link link = Link.open("bus-repeat", true);

    // Redis runs the next publish, and the sender hears of a failure and publishes it again.
    link.failuresLeft().set(1);
    link.send("once");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> link.receiverCounts().discarded.get(RoomBus.Discard.DUPLICATE).get() == 1);
    link.send("next");
    await().atMost(Duration.ofSeconds(10)).until(() -> link.delivered().size() >= 2);

    assertThat(link.delivered()).containsExactly("once", "next");
    assertThat(link.receiverCounts().missing).hasValue(0);
    assertThat(link.senderCounts().published).hasValue(2);
    link.close();
  }

  @Test
  void aPublishThatNeverSucceedsIsCountedAndTheGapIsSeenByTheReceiver() {
    Link link = Link.open("bus-gap", false);

    link.send("before");
    await().atMost(Duration.ofSeconds(10)).until(() -> link.delivered().size() == 1);
    link.failuresLeft().set(RedisRoomBus.PUBLISH_ATTEMPTS); // every try of the next publish fails
    link.send("lost");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> link.senderCounts().discarded.get(RoomBus.Discard.PUBLISH_FAILED).get() == 1);
    link.send("after");
    await().atMost(Duration.ofSeconds(10)).until(() -> link.delivered().size() == 2);

    assertThat(link.delivered()).containsExactly("before", "after");
    assertThat(link.receiverCounts().missing).as("one envelope never arrived").hasValue(1);
    link.close();
  }

  @Test
  void framesGoOutWhileTheProbeSaysDownButRedisAnswersAndAreDroppedOnceItStopsAnswering() {
    AtomicBoolean probeUp = new AtomicBoolean(true);
    Link link = Link.open("bus-slow-probe", false, probeUp::get, () -> true);
    link.send("f0");
    // The sender has heard Redis's answer (the receiver may get the frame before that).
    await().atMost(Duration.ofSeconds(10)).until(() -> link.senderCounts().published.get() == 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> link.delivered().size() == 1);

    // The probe timed out on a busy machine, but Redis still answers publishes.
    probeUp.set(false);
    for (int i = 1; i <= 20; i++) {
      assertThat(link.send("f" + i)).isTrue();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> link.delivered().size() >= 21);
    assertThat(link.delivered())
        .containsExactlyElementsOf(
            java.util.stream.IntStream.rangeClosed(0, 20).mapToObj(i -> "f" + i).toList());
    assertThat(link.senderCounts().discarded.get(RoomBus.Discard.REDIS_DOWN)).hasValue(0);

    // Now no publish succeeds either: after a while the bus gives up on what it holds and drops
    // new frames. (Each poll sends one more frame: the drop happens when one is sent.)
    link.failuresLeft().set(Integer.MAX_VALUE);
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                !link.send("x")
                    || link.senderCounts().discarded.get(RoomBus.Discard.REDIS_DOWN).get() > 0);
    assertThat(link.senderCounts().discarded.get(RoomBus.Discard.REDIS_DOWN).get()).isPositive();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> link.senderCounts().discarded.get(RoomBus.Discard.PUBLISH_FAILED).get() > 0);
    link.failuresLeft().set(0);
    link.close();
  }

  @Test
  void framesAreDroppedWhenTheProbeSaysDownAndTheLivenessKeyMayHaveExpired() {
    AtomicBoolean probeUp = new AtomicBoolean(true);
    AtomicBoolean keyAlive = new AtomicBoolean(true);
    Link link = Link.open("bus-key-expired", false, probeUp::get, keyAlive::get);
    link.send("f0");
    await().atMost(Duration.ofSeconds(10)).until(() -> link.senderCounts().published.get() == 1);

    // Publishes still succeed, but another instance may be freeing this one's seats by now.
    probeUp.set(false);
    keyAlive.set(false);
    assertThat(link.send("late")).isTrue();

    assertThat(link.senderCounts().discarded.get(RoomBus.Discard.REDIS_DOWN)).hasValue(1);
    assertThat(link.senderCounts().published).hasValue(1);
    link.close();
  }

  @Test
  void framesAreDroppedAtOnceWhenTheProbeSaysDownAndNoPublishEverSucceeded() {
    Link link = Link.open("bus-down", false, () -> false, () -> true);

    assertThat(link.send("lost")).isTrue();

    assertThat(link.senderCounts().discarded.get(RoomBus.Discard.REDIS_DOWN)).hasValue(1);
    assertThat(link.senderCounts().published).hasValue(0);
    link.close();
  }
}
