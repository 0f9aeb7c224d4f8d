package dev.switchboard.room;

import java.util.function.Supplier;

/**
 * What the registry reports as it works, for metrics. Called on the relay path: implementations
 * must be cheap and must not block.
 */
public interface RoomEvents {

  /** Reports nothing; for tests and tools that construct a registry by hand. */
  RoomEvents NONE = new RoomEvents() {};

  /** This object itself, past CDI's client proxy: see {@link RoomRegistry#unproxied}. */
  default Supplier<RoomEvents> unproxied() {
    return () -> this;
  }

  /** A peer's seat was confirmed {@code nanos} after its socket opened. */
  default void joined(long nanos) {}

  /** One frame was handed to {@code recipients} members in {@code nanos}. */
  default void relayed(int recipients, long nanos) {}

  /**
   * A frame from another instance was handed to {@code recipients} local members {@code micros}
   * after the sending instance published it (by the two instances' wall clocks).
   */
  default void relayedAcross(int recipients, long micros) {}

  /**
   * {@code frames} frames went to other instances through the bus, or came from them. Published
   * counts what Redis accepted; comparing one instance's published with the others' received shows
   * where frames go missing.
   */
  default void busFrames(RoomBus.Direction direction, int frames) {}

  /** The bus dropped {@code count} frames or announcements, for {@code reason}. */
  default void busDiscarded(RoomBus.Discard reason, int count) {}

  /**
   * {@code envelopes} envelopes (each one announcement or up to 256 frames) another instance
   * published never arrived here: a jump in that sender's numbering. Either the sender gave up on a
   * publish (it counts that as {@code publish_failed}) or Redis or its client lost it on the way.
   */
  default void busMissing(long envelopes) {}

  /** The server closed a connection. */
  default void closed(CloseCause cause) {}
}
