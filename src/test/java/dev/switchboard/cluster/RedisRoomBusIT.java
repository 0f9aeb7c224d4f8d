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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
   * Redisson does when its I/O thread could not write a command in time.
   */
  private static RedissonClient failingPublishes(
      RedissonClient client, AtomicInteger failuresLeft) {
    return failingPublishes(client, failuresLeft, false);
  }

  /**
   * As {@link #failingPublishes(RedissonClient, AtomicInteger)}; with {@code executed}, each failed
   * publish first really happens, as when Redis ran a PUBLISH whose reply came too late.
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

  @Test
  void framesWhosePublishFailsWhileRedisIsUpAreSentAgainInOrderAndDeliveredOnce() {
    RoomId room = new RoomId("bus-retry-" + System.nanoTime());
    AtomicInteger failuresLeft = new AtomicInteger();
    Counts senderCounts = new Counts();
    Counts receiverCounts = new Counts();
    RedisRoomBus sender =
        new RedisRoomBus(
            failingPublishes(senderClient, failuresLeft),
            "sender",
            false,
            () -> true,
            nanos -> {},
            senderCounts,
            1 << 20);
    RedisRoomBus receiver =
        new RedisRoomBus(
            receiverClient, "receiver", false, () -> true, nanos -> {}, receiverCounts, 1 << 20);
    List<String> delivered = new CopyOnWriteArrayList<>();
    sender.attach((r, frame, sentAt) -> {});
    receiver.attach((r, frame, sentAt) -> delivered.add(frame.text()));
    receiver.open(room);
    receiver.ready(room).toCompletableFuture().join();
    // The receiving instance's member, as its seat in Redis: the sender reads it when it opens.
    redis.call("HSET", RedisKeys.seats(room), "member-on-receiver", "receiver");
    sender.open(room);
    sender.ready(room).toCompletableFuture().join();
    Peer member = TestPeers.peer(room);

    assertThat(sender.publish(member, Frame.of("f0"))).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> delivered.size() == 1);
    failuresLeft.set(3); // the next publish fails three times in a row
    for (int i = 1; i <= 50; i++) {
      assertThat(sender.publish(member, Frame.of("f" + i))).isTrue();
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                delivered.size() >= 51
                    || senderCounts.discarded.get(RoomBus.Discard.PUBLISH_FAILED).get() > 0);

    assertThat(delivered)
        .containsExactlyElementsOf(
            java.util.stream.IntStream.rangeClosed(0, 50).mapToObj(i -> "f" + i).toList());
    assertThat(senderCounts.discarded.get(RoomBus.Discard.PUBLISH_FAILED)).hasValue(0);
    await().atMost(Duration.ofSeconds(10)).until(() -> senderCounts.published.get() == 51);
    assertThat(receiverCounts.received).hasValue(51);
    assertThat(receiverCounts.missing).hasValue(0);
    sender.close(room);
    receiver.close(room);
  }

  @Test
  void aPublishThatRedisRanButReportedFailedIsDeliveredOnceAndItsRepeatDropped() {
    RoomId room = new RoomId("bus-repeat-" + System.nanoTime());
    AtomicInteger failuresLeft = new AtomicInteger();
    Counts senderCounts = new Counts();
    Counts receiverCounts = new Counts();
    RedisRoomBus sender =
        new RedisRoomBus(
            failingPublishes(senderClient, failuresLeft, true),
            "sender",
            false,
            () -> true,
            nanos -> {},
            senderCounts,
            1 << 20);
    RedisRoomBus receiver =
        new RedisRoomBus(
            receiverClient, "receiver", false, () -> true, nanos -> {}, receiverCounts, 1 << 20);
    List<String> delivered = new CopyOnWriteArrayList<>();
    sender.attach((r, frame, sentAt) -> {});
    receiver.attach((r, frame, sentAt) -> delivered.add(frame.text()));
    receiver.open(room);
    receiver.ready(room).toCompletableFuture().join();
    redis.call("HSET", RedisKeys.seats(room), "member-on-receiver", "receiver");
    sender.open(room);
    sender.ready(room).toCompletableFuture().join();
    Peer member = TestPeers.peer(room);

    failuresLeft.set(1); // Redis runs it, the sender hears of a failure and publishes it again
    sender.publish(member, Frame.of("once"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> receiverCounts.discarded.get(RoomBus.Discard.DUPLICATE).get() == 1);
    sender.publish(member, Frame.of("next"));
    await().atMost(Duration.ofSeconds(10)).until(() -> delivered.size() >= 2);

    assertThat(delivered).containsExactly("once", "next");
    assertThat(receiverCounts.missing).hasValue(0);
    assertThat(senderCounts.published).hasValue(2);
    sender.close(room);
    receiver.close(room);
  }

  @Test
  void aPublishThatNeverSucceedsIsCountedAndTheGapIsSeenByTheReceiver() {
    RoomId room = new RoomId("bus-gap-" + System.nanoTime());
    AtomicInteger failuresLeft = new AtomicInteger();
    Counts senderCounts = new Counts();
    Counts receiverCounts = new Counts();
    RedisRoomBus sender =
        new RedisRoomBus(
            failingPublishes(senderClient, failuresLeft),
            "sender",
            false,
            () -> true,
            nanos -> {},
            senderCounts,
            1 << 20);
    RedisRoomBus receiver =
        new RedisRoomBus(
            receiverClient, "receiver", false, () -> true, nanos -> {}, receiverCounts, 1 << 20);
    List<String> delivered = new CopyOnWriteArrayList<>();
    sender.attach((r, frame, sentAt) -> {});
    receiver.attach((r, frame, sentAt) -> delivered.add(frame.text()));
    receiver.open(room);
    receiver.ready(room).toCompletableFuture().join();
    redis.call("HSET", RedisKeys.seats(room), "member-on-receiver", "receiver");
    sender.open(room);
    sender.ready(room).toCompletableFuture().join();
    Peer member = TestPeers.peer(room);

    sender.publish(member, Frame.of("before"));
    await().atMost(Duration.ofSeconds(10)).until(() -> delivered.size() == 1);
    failuresLeft.set(RedisRoomBus.PUBLISH_ATTEMPTS); // every try of the next publish fails
    sender.publish(member, Frame.of("lost"));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> senderCounts.discarded.get(RoomBus.Discard.PUBLISH_FAILED).get() == 1);
    sender.publish(member, Frame.of("after"));
    await().atMost(Duration.ofSeconds(10)).until(() -> delivered.size() == 2);

    assertThat(delivered).containsExactly("before", "after");
    assertThat(receiverCounts.missing).as("one envelope never arrived").hasValue(1);
    sender.close(room);
    receiver.close(room);
  }
}
