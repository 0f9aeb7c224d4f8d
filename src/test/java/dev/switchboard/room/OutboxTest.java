package dev.switchboard.room;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OutboxTest {

  private static final String PING = "<ping>";

  /** Completes every send inline, on the calling thread, before send returns. */
  static final class InlineConnection implements Connection {
    final List<String> sent = new ArrayList<>();
    final AtomicInteger pings = new AtomicInteger();

    @Override
    public void send(String text, Consumer<Throwable> done) {
      sent.add(text);
      done.accept(null);
    }

    @Override
    public void ping() {
      pings.incrementAndGet();
    }

    @Override
    public void close(CloseCause cause) {}
  }

  /** Holds every send's callback until the test completes it. */
  static final class DeferredConnection implements Connection {
    final List<String> sent = new CopyOnWriteArrayList<>();
    final List<Consumer<Throwable>> callbacks = new CopyOnWriteArrayList<>();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    private int completed;

    @Override
    public void send(String text, Consumer<Throwable> done) {
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      sent.add(text);
      callbacks.add(done);
    }

    /** Completes the oldest outstanding send. */
    void completeNext(Throwable error) {
      Consumer<Throwable> done = callbacks.get(completed++);
      inFlight.decrementAndGet();
      done.accept(error);
    }

    /** As Open Liberty does: a ping while a send is outstanding is refused. */
    @Override
    public void ping() {
      if (inFlight.get() > 0) {
        throw new IllegalStateException("write not allowed: another write is in progress");
      }
      sent.add(PING);
    }

    @Override
    public void close(CloseCause cause) {}
  }

  private final ExecutorService completer = Executors.newSingleThreadExecutor();
  private final ExecutorService offerers = Executors.newFixedThreadPool(4);

  @AfterEach
  void stopThreads() {
    completer.shutdownNow();
    offerers.shutdownNow();
  }

  private static List<String> texts(String prefix, int count) {
    return IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
  }

  @Test
  void sendsInOrderAndReleasesPendingBytesWhenSendsCompleteInline() {
    InlineConnection connection = new InlineConnection();
    Outbox outbox = new Outbox(connection, 1_000);
    for (String text : texts("m", 5)) {
      assertThat(outbox.offer(Frame.of(text))).isTrue();
    }
    assertThat(connection.sent).containsExactlyElementsOf(texts("m", 5));
    assertThat(outbox.pendingBytes()).isZero();
  }

  @Test
  void keepsOneSendInFlightAndSendsTheRestInOrderAsEachCompletes() {
    DeferredConnection connection = new DeferredConnection();
    Outbox outbox = new Outbox(connection, 1_000);
    outbox.offer(Frame.of("a"));
    outbox.offer(Frame.of("bb"));
    outbox.offer(Frame.of("ccc"));

    assertThat(connection.sent).containsExactly("a");
    assertThat(outbox.pendingBytes()).isEqualTo(6);

    connection.completeNext(null);
    assertThat(connection.sent).containsExactly("a", "bb");
    assertThat(outbox.pendingBytes()).isEqualTo(5);

    outbox.offer(Frame.of("dddd"));
    assertThat(connection.sent).containsExactly("a", "bb");

    connection.completeNext(null);
    connection.completeNext(null);
    assertThat(connection.sent).containsExactly("a", "bb", "ccc", "dddd");
    connection.completeNext(null);

    assertThat(outbox.pendingBytes()).isZero();
    assertThat(connection.maxInFlight).hasValue(1);
  }

  @Test
  void sendsAgainAfterTheQueueRanDry() {
    DeferredConnection connection = new DeferredConnection();
    Outbox outbox = new Outbox(connection, 1_000);
    outbox.offer(Frame.of("first"));
    connection.completeNext(null);
    outbox.offer(Frame.of("second"));
    assertThat(connection.sent).containsExactly("first", "second");
  }

  @Test
  void refusesWithoutQueuingAFrameThatWouldExceedTheLimit() {
    DeferredConnection connection = new DeferredConnection();
    Outbox outbox = new Outbox(connection, 10);
    assertThat(outbox.offer(Frame.of("123456"))).isTrue();
    assertThat(outbox.offer(Frame.of("1234"))).isTrue(); // exactly at the limit
    assertThat(outbox.offer(Frame.of("x"))).isFalse();
    assertThat(outbox.pendingBytes()).isEqualTo(10);

    connection.completeNext(null);
    connection.completeNext(null);
    assertThat(connection.sent).containsExactly("123456", "1234");
    assertThat(outbox.pendingBytes()).isZero();
  }

  @Test
  void refusesASingleFrameLargerThanTheLimit() {
    InlineConnection connection = new InlineConnection();
    Outbox outbox = new Outbox(connection, 4);
    assertThat(outbox.offer(Frame.of("12345"))).isFalse();
    assertThat(connection.sent).isEmpty();
    assertThat(outbox.pendingBytes()).isZero();
  }

  @Test
  void countsBytesNotCharacters() {
    DeferredConnection connection = new DeferredConnection();
    Outbox outbox = new Outbox(connection, 5);
    assertThat(outbox.offer(Frame.of("€"))).isTrue(); // 3 bytes
    assertThat(outbox.offer(Frame.of("éé"))).isFalse(); // 4 more bytes
    assertThat(outbox.pendingBytes()).isEqualTo(3);
  }

  @Test
  void manyInlineCompletionsDoNotGrowTheStack() {
    InlineConnection connection = new InlineConnection();
    Outbox outbox = new Outbox(connection, Long.MAX_VALUE);
    // First an inline run from an idle outbox.
    for (int i = 0; i < 100_000; i++) {
      outbox.offer(Frame.of("m" + i));
    }
    assertThat(connection.sent).hasSize(100_000);
    assertThat(connection.sent.get(99_999)).isEqualTo("m99999");
    assertThat(outbox.pendingBytes()).isZero();

    // Then 100,000 frames queued behind one held send, drained by a single completion whose later
    // sends all complete inline.
    List<String> sent = new ArrayList<>();
    boolean[] holdFirst = {true};
    List<Consumer<Throwable>> held = new ArrayList<>();
    Outbox queued =
        new Outbox(
            new Connection() {
              @Override
              public void send(String text, Consumer<Throwable> done) {
                sent.add(text);
                if (holdFirst[0]) {
                  holdFirst[0] = false;
                  held.add(done);
                } else {
                  done.accept(null);
                }
              }

              @Override
              public void ping() {}

              @Override
              public void close(CloseCause cause) {}
            },
            Long.MAX_VALUE);
    for (int i = 0; i < 100_000; i++) {
      queued.offer(Frame.of("q" + i));
    }
    assertThat(sent).containsExactly("q0");
    held.get(0).accept(null);
    assertThat(sent).containsExactlyElementsOf(texts("q", 100_000));
    assertThat(queued.pendingBytes()).isZero();
  }

  @Test
  void aPingOnAnIdleOutboxGoesOutAtOnce() {
    DeferredConnection connection = new DeferredConnection();
    Outbox outbox = new Outbox(connection, 1_000);
    outbox.ping();
    outbox.offer(Frame.of("a"));
    assertThat(connection.sent).containsExactly(PING, "a");
    assertThat(outbox.pendingBytes()).isEqualTo(1);
  }

  @Test
  void aPingWaitsForTheFrameBeingWrittenAndKeepsItsPlaceInTheQueue() {
    DeferredConnection connection = new DeferredConnection();
    Outbox outbox = new Outbox(connection, 1_000);
    outbox.offer(Frame.of("a"));
    outbox.offer(Frame.of("b"));
    outbox.ping(); // Liberty would refuse it now: "a" is being written
    outbox.offer(Frame.of("c"));
    assertThat(connection.sent).containsExactly("a");

    connection.completeNext(null);
    assertThat(connection.sent).containsExactly("a", "b");
    connection.completeNext(null);
    assertThat(connection.sent)
        .as("the ping goes out between b and c")
        .containsExactly("a", "b", PING, "c");
    connection.completeNext(null);
    assertThat(outbox.pendingBytes()).isZero();
  }

  @Test
  void aDiscardedOrFinishedOutboxSendsNoPing() {
    InlineConnection connection = new InlineConnection();
    Outbox discarded = new Outbox(connection, 1_000);
    discarded.discard();
    discarded.ping();
    Outbox finished = new Outbox(connection, 1_000);
    finished.finish(Frame.of("last"), () -> {});
    finished.ping();
    assertThat(connection.pings).hasValue(0);
    assertThat(connection.sent).containsExactly("last");
  }

  /**
   * Pings from the heartbeat's thread among frames offered and completed on others, on a connection
   * that refuses a ping during a write (as Liberty's does): none is refused and none is lost.
   */
  @Test
  void concurrentPingsNeverMeetAWriteInProgress() throws Exception {
    int frames = 20_000;
    int pings = 2_000;
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger pinged = new AtomicInteger();
    AtomicInteger received = new AtomicInteger();
    Connection likeLiberty =
        new Connection() {
          @Override
          public void send(String text, Consumer<Throwable> done) {
            inFlight.incrementAndGet();
            received.incrementAndGet();
            completer.execute(
                () -> {
                  inFlight.decrementAndGet();
                  done.accept(null);
                });
          }

          @Override
          public void ping() {
            if (inFlight.get() > 0) {
              refused.incrementAndGet();
              throw new IllegalStateException("write not allowed");
            }
            pinged.incrementAndGet();
          }

          @Override
          public void close(CloseCause cause) {}
        };
    Outbox outbox = new Outbox(likeLiberty, Long.MAX_VALUE);
    CountDownLatch start = new CountDownLatch(1);
    Future<?> offers =
        offerers.submit(
            () -> {
              start.await();
              for (int i = 0; i < frames; i++) {
                outbox.offer(Frame.of("m" + i));
              }
              return null;
            });
    Future<?> heartbeat =
        offerers.submit(
            () -> {
              start.await();
              for (int i = 0; i < pings; i++) {
                outbox.ping();
              }
              return null;
            });
    start.countDown();
    offers.get(30, TimeUnit.SECONDS);
    heartbeat.get(30, TimeUnit.SECONDS);

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> received.get() == frames && pinged.get() + refused.get() == pings);
    assertThat(refused).hasValue(0);
    assertThat(pinged).hasValue(pings);
  }

  @Test
  void aFailedSendDiscardsTheRest() {
    DeferredConnection connection = new DeferredConnection();
    Outbox outbox = new Outbox(connection, 1_000);
    outbox.offer(Frame.of("a"));
    outbox.offer(Frame.of("b"));
    outbox.offer(Frame.of("c"));

    connection.completeNext(new java.io.IOException("broken pipe"));
    outbox.offer(Frame.of("d"));

    assertThat(connection.sent).containsExactly("a");
    assertThat(connection.inFlight).hasValue(0);
  }

  @Test
  void discardDropsQueuedFramesAndIgnoresLaterOffers() {
    DeferredConnection connection = new DeferredConnection();
    Outbox outbox = new Outbox(connection, 1_000);
    outbox.offer(Frame.of("a"));
    outbox.offer(Frame.of("b"));
    outbox.discard();
    assertThat(outbox.offer(Frame.of("c"))).isTrue();
    connection.completeNext(null);
    assertThat(connection.sent).containsExactly("a");
  }

  @Test
  void concurrentOffersKeepEachSendersOrder() throws Exception {
    int threads = 4;
    int perThread = 10_000;
    List<String> received = new CopyOnWriteArrayList<>();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    Connection completesElsewhere =
        new Connection() {
          @Override
          public void send(String text, Consumer<Throwable> done) {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            received.add(text);
            completer.execute(
                () -> {
                  inFlight.decrementAndGet();
                  done.accept(null);
                });
          }

          @Override
          public void ping() {}

          @Override
          public void close(CloseCause cause) {}
        };
    Outbox outbox = new Outbox(completesElsewhere, Long.MAX_VALUE);

    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> offers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String prefix = t + ":";
      offers.add(
          offerers.submit(
              () -> {
                start.await();
                for (int i = 0; i < perThread; i++) {
                  outbox.offer(Frame.of(prefix + i));
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> f : offers) {
      f.get(30, TimeUnit.SECONDS);
    }

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> received.size() == threads * perThread && outbox.pendingBytes() == 0);
    assertThat(maxInFlight).hasValue(1);
    Map<String, List<Integer>> bySender =
        received.stream()
            .map(s -> s.split(":"))
            .collect(
                Collectors.groupingBy(
                    p -> p[0],
                    Collectors.mapping(p -> Integer.parseInt(p[1]), Collectors.toList())));
    assertThat(bySender).hasSize(threads);
    List<Integer> expected = IntStream.range(0, perThread).boxed().toList();
    bySender.forEach(
        (sender, seq) -> assertThat(seq).as("frames of thread %s", sender).isEqualTo(expected));
  }

  @Test
  void finishWritesWhatWasQueuedThenTheLastFrameThenRunsTheCloseOnce() {
    DeferredConnection connection = new DeferredConnection();
    Outbox outbox = new Outbox(connection, 1_000_000);
    outbox.offer(Frame.of("a"));
    outbox.offer(Frame.of("b"));
    AtomicInteger closes = new AtomicInteger();

    outbox.finish(Frame.of("last"), closes::incrementAndGet);
    outbox.offer(Frame.of("after"));

    assertThat(closes).hasValue(0);
    connection.completeNext(null);
    connection.completeNext(null);
    assertThat(closes).as("not before the last frame is written").hasValue(0);
    connection.completeNext(null);
    assertThat(connection.sent).containsExactly("a", "b", "last");
    assertThat(closes).hasValue(1);
    outbox.discard();
    assertThat(closes).hasValue(1);
  }

  @Test
  void finishOnAnIdleOutboxClosesOnceTheLastFrameIsWritten() {
    InlineConnection connection = new InlineConnection();
    Outbox outbox = new Outbox(connection, 1_000_000);
    AtomicInteger closes = new AtomicInteger();

    outbox.finish(Frame.of("last"), closes::incrementAndGet);

    assertThat(connection.sent).containsExactly("last");
    assertThat(closes).hasValue(1);
  }

  @Test
  void finishStillClosesWhenASendFails() {
    DeferredConnection connection = new DeferredConnection();
    Outbox outbox = new Outbox(connection, 1_000_000);
    outbox.offer(Frame.of("a"));
    AtomicInteger closes = new AtomicInteger();
    outbox.finish(Frame.of("last"), closes::incrementAndGet);

    connection.completeNext(new java.io.IOException("reset"));

    assertThat(closes).hasValue(1);
    assertThat(connection.sent).containsExactly("a");
  }
}
