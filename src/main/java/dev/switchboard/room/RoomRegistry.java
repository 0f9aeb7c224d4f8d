package dev.switchboard.room;

import dev.switchboard.config.SignalingConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Who is in which room on this instance, and the relay between them. A peer is registered
 * synchronously when its socket opens; its seat is claimed through the {@link RoomStore}; frames go
 * to the other joined members of the room, each through its own {@link Outbox}.
 */
@ApplicationScoped
public class RoomRegistry {

  private static final Logger LOG = Logger.getLogger(RoomRegistry.class.getName());

  private final ConcurrentMap<RoomId, Room> rooms = new ConcurrentHashMap<>();
  private RoomStore store;
  private RoomBus bus;
  private long backlogLimitBytes;
  private Executor closer;
  private RoomEvents events;
  private volatile CompletableFuture<Void> whenEmpty;

  /** For CDI's client proxy only. */
  protected RoomRegistry() {}

  /**
   * This object itself, even when called through CDI's client proxy: holders on the relay path keep
   * the result, so that each call is a plain call. (Weld's proxy looks up the bean's context on
   * every call: about 6 % of the relay's CPU in a JFR profile.) Only for application-scoped beans
   * without interceptors, which live as long as the application. (A supplier, because Weld hands
   * back its proxy in place of a method's result that is the bean itself.)
   */
  public Supplier<RoomRegistry> unproxied() {
    return () -> this;
  }

  @Inject
  public RoomRegistry(
      RoomStore store,
      RoomBus bus,
      SignalingConfig config,
      @Background Executor closer,
      RoomEvents events) {
    this.store = store.unproxied().get();
    this.bus = bus.unproxied().get();
    this.backlogLimitBytes = config.backpressureCloseThresholdBytes();
    this.closer = closer;
    this.events = events.unproxied().get();
    bus.attach(this::deliverRemote);
  }

  /** A single-instance registry that reports no events. */
  public RoomRegistry(RoomStore store, SignalingConfig config, Executor closer) {
    this(store, RoomBus.NONE, config, closer, RoomEvents.NONE);
  }

  /**
   * The claim's answer once the bus is also ready for the room (with Redis: this instance's
   * channels are subscribed); or the first failure of either, at once. ({@code thenCombine} alone
   * would wait for both, so a claim refused after its 2 s bound would still wait for a subscription
   * to a hung Redis to time out, several seconds more.)
   */
  static CompletableFuture<Boolean> joinedOrFailed(
      CompletableFuture<Boolean> claim, CompletableFuture<Void> subscribed) {
    CompletableFuture<Boolean> both = claim.thenCombine(subscribed, (admitted, ready) -> admitted);
    claim.exceptionally(failed(both));
    subscribed.exceptionally(failed(both));
    return both;
  }

  private static <T> java.util.function.Function<Throwable, T> failed(CompletableFuture<?> target) {
    return error -> {
      target.completeExceptionally(error);
      return null;
    };
  }

  /**
   * Registers a new connection in its room and claims its seat. Frames the peer sends before the
   * claim completes are held and relayed in order once it does; a full room closes the connection
   * with {@link CloseCause#ROOM_FULL}.
   */
  public Peer open(RoomId roomId, Connection connection) {
    long opened = System.nanoTime();
    Peer peer = new Peer(PeerId.random(), roomId, connection, backlogLimitBytes);
    rooms.compute(
        roomId,
        (id, room) -> {
          if (room == null) {
            bus.open(id);
            return Room.of(id, peer);
          }
          return room.with(peer);
        });
    if (!store.isReady()) {
      close(peer, CloseCause.SERVICE_UNAVAILABLE);
      return peer;
    }
    CompletableFuture<Boolean> claim = store.claimSeat(roomId, peer.id()).toCompletableFuture();
    joinedOrFailed(claim, bus.ready(roomId).toCompletableFuture())
        .whenComplete(
            (admitted, error) -> {
              if (error != null) {
                logPeer(
                    Level.WARNING,
                    peer,
                    "Join refused with 1013: the room store failed: " + rootCause(error));
                close(peer, CloseCause.SERVICE_UNAVAILABLE);
                // Once the claim has settled, in case it landed after all (best effort: a claim
                // Redis received but had not answered may still run after this release).
                claim.whenComplete((ignored, e) -> store.releaseSeat(roomId, peer.id()));
              } else if (!admitted) {
                close(peer, CloseCause.ROOM_FULL);
              } else {
                Delivery held = new Delivery(peer);
                boolean joined = peer.joined(held, () -> bus.joined(peer));
                held.closeLaggards();
                if (joined) {
                  events.joined(System.nanoTime() - opened);
                  logPeer(Level.FINE, peer, "Peer joined");
                } else {
                  store.releaseSeat(roomId, peer.id()); // it left while the claim was in flight
                }
              }
            });
    return peer;
  }

  private static String rootCause(Throwable error) {
    Throwable t = error;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.toString();
  }

  /** Relays a frame from {@code sender} to every other joined member of its room. */
  public void relay(Peer sender, Frame frame) {
    long start = System.nanoTime();
    Delivery delivery = new Delivery(sender);
    boolean accepted = sender.submit(frame, delivery);
    events.relayed(delivery.recipients, System.nanoTime() - start);
    delivery.closeLaggards();
    if (!accepted) {
      close(sender, CloseCause.SERVER_OVERLOADED);
    }
  }

  /** Sends a frame to one peer only (control replies such as {@code schema-error}). */
  public void reply(Peer peer, Frame frame) {
    if (!peer.outbox().offer(frame)) {
      close(peer, CloseCause.SERVER_OVERLOADED);
    }
  }

  /**
   * Removes a peer whose socket closed. The other members learn it with {@code peer-disconnected}
   * if it had joined. Safe to call more than once.
   */
  public void leave(Peer peer) {
    leave(peer, true);
  }

  private void leave(Peer peer, boolean discardOutbox) {
    Peer.State was = peer.leave();
    if (was == Peer.State.LEFT) {
      return;
    }
    if (discardOutbox) {
      peer.outbox().discard();
    }
    rooms.computeIfPresent(
        peer.roomId(),
        (id, room) -> {
          Room rest = room.without(peer);
          if (rest == null) {
            bus.close(id);
          }
          return rest;
        });
    CompletableFuture<Void> waiting = whenEmpty;
    if (waiting != null && rooms.isEmpty()) {
      waiting.complete(null);
    }
    if (was == Peer.State.JOINED) {
      // Members hear of the leave only once the seat is free: one that reconnects at once on
      // hearing it must find the seat free, not get "Room is full" (the Redis release is a round
      // trip; the in-memory one completes here and now).
      store
          .releaseSeat(peer.roomId(), peer.id())
          .whenComplete(
              (released, error) -> {
                Delivery goodbye = new Delivery(peer);
                goodbye.deliverLocally(Frame.PEER_DISCONNECTED);
                goodbye.closeLaggards();
                bus.left(peer);
                logPeer(Level.FINE, peer, "Peer left");
              });
    }
  }

  /**
   * Logs one peer's event with its room and peer ids, which Payara's JSON formatter writes as the
   * fields {@code room} and {@code peer} of the line (and the text formatter inside the message).
   */
  private static void logPeer(Level level, Peer peer, String event) {
    if (LOG.isLoggable(level)) {
      LOG.log(
          level,
          "'" + event.replace("'", "''") + "' {0}", // quoted: MessageFormat leaves it as it is
          Map.of("room", peer.roomId().toString(), "peer", peer.id().toString()));
    }
  }

  public void pongReceived(Peer peer) {
    peer.pongReceived();
  }

  /**
   * One heartbeat round: drops every peer that did not answer the previous ping and pings the rest.
   */
  public void heartbeat() {
    peers()
        .forEach(
            peer -> {
              if (peer.answeredLastPing()) {
                peer.outbox().ping();
              } else {
                logPeer(Level.FINE, peer, "Peer missed its pong");
                close(peer, CloseCause.HEARTBEAT_TIMEOUT);
              }
            });
  }

  /** Closes a peer: it leaves at once, and the close frame is sent off the caller's thread. */
  public void close(Peer peer, CloseCause cause) {
    if (peer.isJoined() || peer.isJoining()) {
      events.closed(cause);
    }
    leave(peer);
    closer.execute(() -> peer.connection().close(cause));
  }

  /**
   * Closes a peer after a last frame: it leaves at once, but what was already queued for it and
   * then {@code last} are still written before the close frame. Completes once the close frame was
   * handed to the socket.
   */
  public CompletableFuture<Void> finish(Peer peer, Frame last, CloseCause cause) {
    if (peer.isJoined() || peer.isJoining()) {
      events.closed(cause);
    }
    CompletableFuture<Void> closed = new CompletableFuture<>();
    peer.outbox()
        .finish(
            last,
            () ->
                closer.execute(
                    () -> {
                      try {
                        peer.connection().close(cause);
                      } finally {
                        closed.complete(null);
                      }
                    }));
    leave(peer, false);
    return closed;
  }

  /** Waits until no peer is left on this instance; false if {@code timeout} passed first. */
  public boolean awaitEmpty(Duration timeout) {
    CompletableFuture<Void> emptied = new CompletableFuture<>();
    whenEmpty = emptied;
    if (rooms.isEmpty()) {
      return true;
    }
    try {
      emptied.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  public Stream<Peer> peers() {
    return rooms.values().stream().map(Room::members).flatMap(Collection::stream);
  }

  public int connectionCount() {
    return rooms.values().stream().mapToInt(room -> room.members().size()).sum();
  }

  public int roomCount() {
    return rooms.size();
  }

  public boolean isReady() {
    return store.isReady();
  }

  public RoomStore store() {
    return store;
  }

  /** The seats of this instance's joined members, as (room, peer id): for re-registering them. */
  public Stream<Map.Entry<RoomId, String>> joinedSeats() {
    return peers().filter(Peer::isJoined).map(p -> Map.entry(p.roomId(), p.id().value()));
  }

  /** Frames from the room's members on other instances, for its joined members here. */
  private void deliverRemote(RoomId roomId, Frame frame, long sentAtEpochMicros) {
    long start = System.nanoTime();
    Delivery delivery = new Delivery(null, roomId);
    delivery.deliverLocally(frame);
    events.relayed(delivery.recipients, System.nanoTime() - start);
    if (sentAtEpochMicros != RoomBus.Receiver.UNTIMED) {
      events.relayedAcross(delivery.recipients, Clock.epochMicros() - sentAtEpochMicros);
    }
    delivery.closeLaggards();
  }

  /**
   * Delivers one sender's frames to the other joined members of its room. It runs under the
   * sender's lock (see {@link Peer#submit}), so members that fell behind are only collected here
   * and closed by {@link #closeLaggards()} after the lock is released: closing takes the member's
   * own lock, and two senders closing each other would otherwise deadlock.
   */
  private final class Delivery implements Consumer<Frame> {

    private final Peer sender; // null for frames from other instances
    private final RoomId roomId;
    private List<Peer> laggards; // rare: allocated on the first overflow
    private int recipients;

    Delivery(Peer sender) {
      this(sender, sender.roomId());
    }

    Delivery(Peer sender, RoomId roomId) {
      this.sender = sender;
      this.roomId = roomId;
    }

    @Override
    public void accept(Frame frame) {
      deliverLocally(frame);
      if (!bus.publish(sender, frame)) {
        lagging(sender);
      }
    }

    private void lagging(Peer member) {
      if (laggards == null) {
        laggards = new ArrayList<>(1);
      }
      laggards.add(member);
    }

    void deliverLocally(Frame frame) {
      Room room = rooms.get(roomId);
      if (room == null) {
        return;
      }
      for (Peer member : room.members()) {
        if (member == sender || !member.isJoined()) {
          continue;
        }
        if (member.outbox().offer(frame)) {
          recipients++;
        } else {
          lagging(member);
        }
      }
    }

    void closeLaggards() {
      if (laggards != null) {
        for (Peer member : laggards) {
          logPeer(Level.FINE, member, "Peer fell behind; closing it");
          close(member, CloseCause.SERVER_OVERLOADED);
        }
      }
    }
  }
}
