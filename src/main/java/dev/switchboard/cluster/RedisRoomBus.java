package dev.switchboard.cluster;

import dev.switchboard.room.Clock;
import dev.switchboard.room.Frame;
import dev.switchboard.room.Peer;
import dev.switchboard.room.PeerId;
import dev.switchboard.room.RoomBus;
import dev.switchboard.room.RoomEvents;
import dev.switchboard.room.RoomId;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * A Redis pub/sub channel per room ({@code RShardedTopic} on a Redis Cluster, so a room's traffic
 * stays on its shard). This instance listens to a room's channel only while it holds a member of
 * the room, and publishes a frame only when members on other instances are known, so two members on
 * the same instance never go through Redis.
 *
 * <p>Envelopes are {@code kind \n instance \n peer \n sequence \n payload}: {@code J} a peer
 * joined, {@code L} it left (its room mates get {@code peer-disconnected}), {@code F} one or more
 * frames, one per line, each as {@code publishedAtEpochMicros frame} so that receivers can report
 * the cross-instance relay latency. One sender's envelopes are published one at a time, in order
 * (see {@link Outgoing}), and numbered, so that a receiver drops the repeats Redisson's retries can
 * cause.
 */
final class RedisRoomBus implements RoomBus {

  private static final Logger LOG = Logger.getLogger(RedisRoomBus.class.getName());
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
  private static final int SUBSCRIBE_ATTEMPTS = 3;

  /**
   * Tries of one publish while Redis is reachable ({@link #reachable}): 6.5 s of back-off between
   * them (100 ms doubling to 1 s), each try itself bounded by Redisson's command timeout.
   */
  static final int PUBLISH_ATTEMPTS = 10;

  /**
   * How long a publish that Redis answered keeps the bus publishing after the liveness probe has
   * called Redis down. The probe is one command every 250 ms, and down after two failures in a row;
   * on an overloaded machine its answer can take longer than its 2 s bound while publishes still go
   * through. Discarding frames then lost them for nothing: a two-instance benchmark at saturation
   * dropped 2,626 frames (6.6 % of a step) in the 1.2 s the probe said down, while every publish of
   * that time succeeded. Without Redis, publishes fail too, and the discarding starts this long
   * after the last one that did not. Only while this instance's liveness key is certainly still
   * alive, though ({@link InstanceLiveness#keyCertainlyAlive}): once it may have expired, another
   * instance may have freed this one's seats and told their rooms they left, and frames from those
   * members must not follow.
   */
  static final long ANSWERED_RECENTLY_NS = TimeUnit.SECONDS.toNanos(2);

  /** The sequence number of envelopes that are not deduplicated (the reaper's). */
  private static final long NO_SEQUENCE = -1;

  private final RedissonClient redis;
  private final String instanceId;
  private final boolean sharded;
  private final BooleanSupplier healthy;
  private final BooleanSupplier keyAlive;
  private final LongConsumer publishNanos;
  private final RoomEvents events;
  private final long backlogLimitChars;
  private final Object idle = new Object();
  private int publishing; // senders with a publish in flight; guarded by idle
  private final ConcurrentMap<RoomId, Subscription> subscriptions = new ConcurrentHashMap<>();
  private final ConcurrentMap<PeerId, Outgoing> senders = new ConcurrentHashMap<>();
  private volatile Receiver receiver = (room, frame, sentAt) -> {};
  private volatile boolean stopping;
  private volatile long lastAnswered = System.nanoTime() - 2 * ANSWERED_RECENTLY_NS;

  /** One room this instance listens to, and the members it knows of on other instances. */
  private record Subscription(
      RTopic topic,
      CompletableFuture<Integer> listener,
      CompletableFuture<Void> ready,
      Set<String> remotePeers,
      Map<String, Long> lastSequence) {}

  RedisRoomBus(
      RedissonClient redis,
      String instanceId,
      boolean sharded,
      BooleanSupplier healthy,
      BooleanSupplier keyAlive,
      LongConsumer publishNanos,
      RoomEvents events,
      long backlogLimitChars) {
    this.redis = redis;
    this.instanceId = instanceId;
    this.sharded = sharded;
    this.healthy = healthy;
    this.keyAlive = keyAlive;
    this.publishNanos = publishNanos;
    this.events = events;
    this.backlogLimitChars = backlogLimitChars;
  }

  @Override
  public void attach(Receiver receiver) {
    this.receiver = receiver;
  }

  private RTopic topic(RoomId room) {
    String name = RedisKeys.channel(room);
    return sharded
        ? redis.getShardedTopic(name, StringCodec.INSTANCE)
        : redis.getTopic(name, StringCodec.INSTANCE);
  }

  @Override
  public void open(RoomId room) {
    RTopic topic = topic(room);
    Set<String> remotePeers = ConcurrentHashMap.newKeySet();
    Subscription[] self = new Subscription[1];
    CompletableFuture<Integer> listener =
        subscribe(topic, room, message -> receive(room, self[0], message), SUBSCRIBE_ATTEMPTS);
    // Members already seated elsewhere: read once the listener is in place, so none is missed.
    CompletableFuture<Void> ready =
        listener.thenCompose(
            id ->
                redis
                    .<String, String>getMap(RedisKeys.seats(room), StringCodec.INSTANCE)
                    .readAllMapAsync()
                    .toCompletableFuture()
                    .thenAccept(seats -> rememberRemote(seats, remotePeers)));
    self[0] = new Subscription(topic, listener, ready, remotePeers, new ConcurrentHashMap<>());
    subscriptions.put(room, self[0]);
  }

  /**
   * Adds the room's listener, trying again a few times: right after Redis comes back a subscribe
   * can fail on a connection that died with the old server. (Hand-written: MicroProfile's {@code
   * Retry} covers asynchronous calls only on {@code @Asynchronous} beans, and this runs inside the
   * registry's map update, which must not block.)
   */
  private CompletableFuture<Integer> subscribe(
      RTopic topic, RoomId room, java.util.function.Consumer<String> onMessage, int attempts) {
    CompletableFuture<Integer> added =
        topic
            .addListenerAsync(String.class, (channel, message) -> onMessage.accept(message))
            .toCompletableFuture();
    if (attempts <= 1) {
      return added;
    }
    return added
        .thenApply(CompletableFuture::completedFuture)
        .exceptionally(
            error -> {
              LOG.log(Level.FINE, "Subscribe failed; trying again", error);
              return CompletableFuture.supplyAsync(
                      () -> null, CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS))
                  .thenCompose(ignored -> subscribe(topic, room, onMessage, attempts - 1));
            })
        .thenCompose(f -> f);
  }

  private void rememberRemote(Map<String, String> seats, Set<String> remotePeers) {
    seats.forEach(
        (peer, holder) -> {
          if (!holder.equals(instanceId)) {
            remotePeers.add(peer);
          }
        });
  }

  @Override
  public CompletionStage<Void> ready(RoomId room) {
    Subscription s = subscriptions.get(room);
    return s == null ? DONE : s.ready();
  }

  @Override
  public void close(RoomId room) {
    Subscription s = subscriptions.remove(room);
    if (s != null) {
      s.listener().thenAccept(id -> s.topic().removeListenerAsync(id));
    }
  }

  @Override
  public void joined(Peer peer) {
    outgoing(peer).enqueue('J', "");
  }

  @Override
  public boolean publish(Peer sender, Frame frame) {
    if (sender == null) {
      return true; // it came from another instance
    }
    Subscription s = subscriptions.get(sender.roomId());
    if (s == null || s.remotePeers().isEmpty()) {
      return true;
    }
    return outgoing(sender).enqueue('F', Clock.epochMicros() + " " + frame.text());
  }

  @Override
  public void left(Peer peer) {
    Outgoing out = senders.remove(peer.id());
    (out != null ? out : new Outgoing(topic(peer.roomId()), peer.id().toString())).enqueue('L', "");
  }

  /**
   * Whether Redis can be published to: the probe says it is up, or a publish succeeded within
   * {@link #ANSWERED_RECENTLY_NS} and this instance's liveness key is certainly still alive.
   */
  private boolean reachable() {
    return healthy.getAsBoolean()
        || (System.nanoTime() - lastAnswered < ANSWERED_RECENTLY_NS && keyAlive.getAsBoolean());
  }

  private Outgoing outgoing(Peer peer) {
    return senders.computeIfAbsent(
        peer.id(), id -> new Outgoing(topic(peer.roomId()), id.toString()));
  }

  /**
   * After Redis came back: tells a room that a member of this instance is still here, so that
   * instances that forgot it (they may have reaped this one meanwhile) publish to it again.
   */
  CompletionStage<Long> announceJoined(RoomId room, String peer) {
    return topic(room).publishAsync(envelope('J', instanceId, peer, NO_SEQUENCE, ""));
  }

  /** For the reaper: tells a room that a peer of a dead instance is gone. */
  CompletionStage<Long> announceLeft(RoomId room, String deadInstance, String peer) {
    return topic(room).publishAsync(envelope('L', deadInstance, peer, NO_SEQUENCE, ""));
  }

  /**
   * One local sender's envelopes, published one at a time so they cannot overtake each other on
   * Redisson's connection pool. Frames that queue up while a publish is in flight leave together in
   * the next envelope (one line each: encoded frames never contain a raw newline), so a fast sender
   * costs fewer round trips instead of waiting for one per frame.
   */
  private final class Outgoing {

    private static final int MAX_FRAMES_PER_ENVELOPE = 256;
    private static final int MAX_ENVELOPE_CHARS = 512 * 1024;

    private final RTopic topic;
    private final String sender;
    private final ArrayDeque<String[]> queue = new ArrayDeque<>();
    private long queuedChars;
    private boolean inFlight;
    private long sequence;

    Outgoing(RTopic topic, String sender) {
      this.topic = topic;
      this.sender = sender;
    }

    /** False if a frame would take the backlog past its limit (announcements always fit). */
    boolean enqueue(char kind, String payload) {
      if (!reachable()) {
        // Redis is down: members elsewhere are unreachable anyway; local relay goes on.
        events.busDiscarded(RoomBus.Discard.REDIS_DOWN, 1);
        return true;
      }
      synchronized (this) {
        if (kind == 'F' && queuedChars + payload.length() > backlogLimitChars) {
          return false;
        }
        queue.add(new String[] {String.valueOf(kind), payload});
        queuedChars += payload.length();
        if (inFlight) {
          return true;
        }
        inFlight = true;
      }
      busy(+1);
      flush();
      return true;
    }

    private String[] poll() {
      String[] head = queue.poll();
      queuedChars -= head[1].length();
      return head;
    }

    private void flush() {
      String envelope;
      int frameCount = 0; // 0 for an announcement
      synchronized (this) {
        if (queue.isEmpty()) {
          inFlight = false;
          busy(-1);
          return;
        }
        String[] head = poll();
        long seq = ++sequence;
        if (!head[0].equals("F")) {
          envelope = envelope(head[0].charAt(0), instanceId, sender, seq, head[1]);
        } else {
          StringBuilder frames = new StringBuilder(head[1]);
          int count = 1;
          while (count < MAX_FRAMES_PER_ENVELOPE
              && !queue.isEmpty()
              && queue.peek()[0].equals("F")
              && frames.length() + queue.peek()[1].length() < MAX_ENVELOPE_CHARS) {
            frames.append('\n').append(poll()[1]);
            count++;
          }
          envelope = envelope('F', instanceId, sender, seq, frames.toString());
          frameCount = count;
        }
      }
      publish(envelope, frameCount, 1);
    }

    /**
     * Publishes one envelope; the next is not sent before this one is done, so order holds. A
     * publish that fails while Redis is reachable is tried again with the same number, so a
     * receiver that got the first try after all drops the repeat. Under load Redisson fails a
     * command its I/O thread did not write within its retry interval ("Command still hasn't been
     * written into connection"): the cross-instance benchmark lost up to 324 frames a run that way
     * before these retries. Frames that queue meanwhile count towards the sender's backlog limit,
     * which closes the sender with 1013 rather than queueing without bound. A stopping server does
     * not try again ({@link RedisRoomBus#stopRetrying}). (Hand-written for the reason given at
     * {@link RedisRoomBus#subscribe}.)
     */
    private void publish(String envelope, int frames, int attempt) {
      long start = System.nanoTime();
      CompletionStage<Long> sent;
      try {
        sent = topic.publishAsync(envelope);
      } catch (RuntimeException e) {
        sent = CompletableFuture.failedFuture(e);
      }
      sent.whenComplete((receivers, error) -> published(envelope, frames, attempt, start, error));
    }

    /** After one try: the next envelope, or this one again; always one of them, whatever throws. */
    private void published(String envelope, int frames, int attempt, long start, Throwable error) {
      boolean again =
          error != null
              && attempt < PUBLISH_ATTEMPTS
              && !stopping
              && reachable()
              && !redis.isShuttingDown();
      try {
        long now = System.nanoTime();
        publishNanos.accept(now - start);
        if (error == null) {
          lastAnswered = now;
          if (frames > 0) {
            events.busFrames(RoomBus.Direction.PUBLISHED, frames);
          }
        } else if (again) {
          LOG.log(Level.FINE, "Publish failed; trying again", error);
        } else {
          LOG.log(Level.FINE, "Publish failed", error);
          events.busDiscarded(RoomBus.Discard.PUBLISH_FAILED, Math.max(1, frames));
        }
      } finally {
        if (again) {
          CompletableFuture.delayedExecutor(Math.min(1_000, 50L << attempt), TimeUnit.MILLISECONDS)
              .execute(() -> publish(envelope, frames, attempt + 1));
        } else {
          flush();
        }
      }
    }
  }

  private static String envelope(
      char kind, String instance, String peer, long seq, String payload) {
    return kind + "\n" + instance + "\n" + peer + "\n" + seq + "\n" + payload;
  }

  private void busy(int change) {
    synchronized (idle) {
      publishing += change;
      if (publishing == 0) {
        idle.notifyAll();
      }
    }
  }

  /**
   * On shutdown, before {@link #awaitIdle}: failed publishes are no longer tried again, so that the
   * leave announcements queued behind them go out in the little time left.
   */
  void stopRetrying() {
    stopping = true;
  }

  /**
   * Waits (at most {@code timeout}) until no sender has a publish in flight or queued: on shutdown,
   * so that the drain's last {@code L} announcements reach the other instances before the client
   * goes away.
   */
  boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (idle) {
      while (publishing > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(idle, left);
      }
      return true;
    }
  }

  /**
   * One envelope for {@code mine}. A listener of a subscription that was closed and replaced (the
   * room emptied and refilled here before its removal completed) ignores it: the current one
   * delivers it, once.
   */
  private void receive(RoomId room, Subscription mine, String message) {
    Subscription s = subscriptions.get(room);
    if (s == null || s != mine) {
      events.busDiscarded(RoomBus.Discard.SUPERSEDED, 1);
      return;
    }
    String[] parts = message.split("\n", 5);
    if (parts.length < 5) {
      events.busDiscarded(RoomBus.Discard.MALFORMED, 1);
      return;
    }
    if (parts[1].equals(instanceId)) {
      return; // its own publish, echoed back by Redis
    }
    long seq = Long.parseLong(parts[3]);
    if (seq != NO_SEQUENCE) {
      // Redisson retries a PUBLISH whose reply timed out, which Redis may have run already: an
      // envelope can arrive twice. Envelopes of one sender are published one at a time, so a
      // sequence number not above the last one seen is such a repeat.
      Long last = s.lastSequence().get(parts[2]);
      if (last != null && seq <= last) {
        events.busDiscarded(RoomBus.Discard.DUPLICATE, 1);
        return;
      }
      if (last != null && seq > last + 1) {
        // Published in order, numbered one by one, so a jump means envelopes went missing on the
        // way. Counted so that an operator sees it (Redisson's pub/sub pings once lost some).
        events.busMissing(seq - last - 1);
      }
      s.lastSequence().put(parts[2], seq);
    }
    switch (parts[0]) {
      case "J" -> s.remotePeers().add(parts[2]);
      case "L" -> {
        s.remotePeers().remove(parts[2]);
        receiver.deliver(room, Frame.PEER_DISCONNECTED, Receiver.UNTIMED);
      }
      case "F" -> {
        String[] lines = parts[4].split("\n");
        events.busFrames(RoomBus.Direction.RECEIVED, lines.length);
        for (String line : lines) {
          int space = line.indexOf(' ');
          receiver.deliver(
              room, Frame.of(line.substring(space + 1)), Long.parseLong(line, 0, space, 10));
        }
      }
      default -> {
        events.busDiscarded(RoomBus.Discard.MALFORMED, 1);
        LOG.fine(() -> "Unknown envelope kind " + parts[0]);
      }
    }
  }
}
