package dev.switchboard.room;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.function.Consumer;

/**
 * One connected client in one room. A peer is registered the moment its socket opens and holds what
 * it sends until its seat is confirmed, so nothing sent right after open is lost.
 */
public final class Peer {

  /**
   * Frames held while the seat claim is in flight; past this the peer is flooding before joining.
   */
  static final int MAX_HELD_BEFORE_JOIN = 1_000;

  enum State {
    JOINING,
    JOINED,
    LEFT
  }

  private final PeerId id;
  private final RoomId roomId;
  private final Connection connection;
  private final Outbox outbox;
  private final Queue<Frame> heldUntilJoined = new ArrayDeque<>();
  // Written under this peer's lock, read without it: delivery checks recipients' state while
  // holding the sender's lock, and must not take a second peer lock.
  private volatile State state = State.JOINING;
  private volatile boolean awaitingPong;

  Peer(PeerId id, RoomId roomId, Connection connection, long backlogLimitBytes) {
    this.id = id;
    this.roomId = roomId;
    this.connection = connection;
    this.outbox = new Outbox(connection, backlogLimitBytes);
  }

  public PeerId id() {
    return id;
  }

  public RoomId roomId() {
    return roomId;
  }

  Connection connection() {
    return connection;
  }

  Outbox outbox() {
    return outbox;
  }

  boolean isJoined() {
    return state == State.JOINED;
  }

  boolean isJoining() {
    return state == State.JOINING;
  }

  /**
   * Relays a frame this peer sent, or holds it until the peer has joined. Runs {@code relay} under
   * this peer's lock so held frames and new ones leave in the order they were sent. Returns false
   * when too many frames are already held.
   */
  synchronized boolean submit(Frame frame, Consumer<Frame> relay) {
    switch (state) {
      case JOINED -> relay.accept(frame);
      case JOINING -> {
        if (heldUntilJoined.size() >= MAX_HELD_BEFORE_JOIN) {
          return false;
        }
        heldUntilJoined.add(frame);
      }
      case LEFT -> {
        // The socket is closing: nobody is waiting for this frame.
      }
    }
    return true;
  }

  /**
   * Marks the seat confirmed, runs {@code announce}, and relays what was held, in order, all under
   * this peer's lock. False if the peer already left.
   */
  synchronized boolean joined(Consumer<Frame> relay, Runnable announce) {
    if (state != State.JOINING) {
      return false;
    }
    state = State.JOINED;
    announce.run();
    Frame held;
    while ((held = heldUntilJoined.poll()) != null) {
      relay.accept(held);
    }
    return true;
  }

  /** Marks the peer gone; returns the state it was in, so only the first caller cleans up. */
  synchronized State leave() {
    State previous = state;
    state = State.LEFT;
    heldUntilJoined.clear();
    return previous;
  }

  /** Heartbeat: true if the last ping was answered, and arms the check for the next one. */
  boolean answeredLastPing() {
    boolean answered = !awaitingPong;
    awaitingPong = true;
    return answered;
  }

  void pongReceived() {
    awaitingPong = false;
  }

  @Override
  public String toString() {
    return id + "@" + roomId;
  }
}
