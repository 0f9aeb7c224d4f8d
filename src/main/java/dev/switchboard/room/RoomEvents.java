package dev.switchboard.room;

import java.util.function.Supplier;

/**
 * What the registry reports as it works, for metrics. Called on the relay path: implementations
 * must be cheap and must not block.
 */
public interface RoomEvents {

  /** Reports nothing; for tests and tools that construct a registry by hand. */
  RoomEvents NONE = new RoomEvents() {};

  /**
   * This object itself, even when called through CDI's client proxy: holders on the relay path keep
   * the result, so that each call is a plain call. (Weld's proxy looks up the bean's context on
   * every call: about 6 % of the relay's CPU in a JFR profile.) Only for application-scoped beans
   * without interceptors, which live as long as the application. (A supplier, because Weld hands
   * back its proxy in place of a method's result that is the bean itself.)
   */
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

  /** The server closed a connection. */
  default void closed(CloseCause cause) {}
}
