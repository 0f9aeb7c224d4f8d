package dev.switchboard.room;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Carries a room's frames to and from the room's members on other instances. A single instance uses
 * {@link #NONE}; with Redis, each instance listens to a pub/sub channel of its own, and frames go
 * to the channels of the instances holding the sender's room mates.
 *
 * <p>Called by the {@link RoomRegistry}: {@link #open}/{@link #close} inside its map updates (they
 * must not block), {@link #joined}, {@link #publish} and {@link #left} under the sender's lock, so
 * one sender's announcements and frames leave in the order they were sent.
 */
public interface RoomBus {

  /** This object itself, past CDI's client proxy: see {@link RoomRegistry#unproxied}. */
  default Supplier<RoomBus> unproxied() {
    return () -> this;
  }

  /** No other instances: nothing to publish, nothing to receive. */
  RoomBus NONE =
      new RoomBus() {
        @Override
        public void attach(Receiver receiver) {}

        @Override
        public void open(RoomId room) {}

        @Override
        public CompletionStage<Void> ready(RoomId room) {
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close(RoomId room) {}

        @Override
        public void joined(Peer peer) {}

        @Override
        public boolean publish(Peer sender, Frame frame) {
          return true;
        }

        @Override
        public void left(Peer peer) {}
      };

  /** Which way a frame crossed between instances, for {@link RoomEvents#busFrames}. */
  enum Direction {
    /** Published by this instance for members elsewhere. */
    PUBLISHED,
    /** Received from another instance for members here. */
    RECEIVED
  }

  /** Why the bus dropped something, for {@link RoomEvents#busDiscarded}. */
  enum Discard {
    /** Redis did not take a publish: its frames (or its announcement) never left. */
    PUBLISH_FAILED,
    /** Not published because Redis was unreachable: members elsewhere could not be reached. */
    REDIS_DOWN,
    /**
     * Published, but the instance it was for did not listen (it died, or had not subscribed again
     * after Redis came back), after a few tries: it never arrived.
     */
    NOT_LISTENING,
    /** A repeat of an envelope already delivered (a publish Redisson retried): correct to drop. */
    DUPLICATE,
    /**
     * Frames that arrived for a room with no members here any more (the sender had not yet heard of
     * the last one's leave): nobody to deliver them to.
     */
    SUPERSEDED,
    /** Not an envelope this version understands. */
    MALFORMED
  }

  /** What the registry does with what arrives from other instances. */
  interface Receiver {

    /** {@code sentAtEpochMicros} of a frame whose sending time is unknown. */
    long UNTIMED = -1;

    /**
     * A frame a member on another instance sent, published at {@code sentAtEpochMicros} (wall
     * clock, or {@link #UNTIMED}): for every joined local member of the room.
     */
    void deliver(RoomId room, Frame frame, long sentAtEpochMicros);
  }

  /** Sets where frames from other instances go. Called once, by the registry. */
  void attach(Receiver receiver);

  /** The room got its first member on this instance: start tracking its members elsewhere. */
  void open(RoomId room);

  /** Completes once frames published to the room by other instances reach this one. */
  CompletionStage<Void> ready(RoomId room);

  /** The room's last member on this instance left: stop tracking it. */
  void close(RoomId room);

  /** The peer's seat is confirmed: members elsewhere may now be sent to. */
  void joined(Peer peer);

  /**
   * A frame from a joined local peer, for the room's members on other instances. False when the
   * sender's frames are backed up behind a slow broker beyond {@code
   * BACKPRESSURE_CLOSE_THRESHOLD_BYTES}: the frame was not taken, and the sender is closed with
   * 1013 as a slow reader would be, instead of queueing without bound.
   */
  boolean publish(Peer sender, Frame frame);

  /** A joined local peer left: its members elsewhere get {@code peer-disconnected}. */
  void left(Peer peer);
}
