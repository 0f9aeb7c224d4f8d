package dev.switchboard.room;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Where seats in rooms are claimed and released: in memory for a single instance, or in Redis so
 * that capacity holds across instances. Claims may complete later; the registry holds a joining
 * peer's messages until they do.
 */
public interface RoomStore {

  /**
   * This object itself, even when called through CDI's client proxy: holders on the relay path keep
   * the result, so that each call is a plain call. (Weld's proxy looks up the bean's context on
   * every call: about 6 % of the relay's CPU in a JFR profile.) Only for application-scoped beans
   * without interceptors, which live as long as the application. (A supplier, because Weld hands
   * back its proxy in place of a method's result that is the bean itself.)
   */
  default Supplier<RoomStore> unproxied() {
    return () -> this;
  }

  /** Completes with true when the peer got a seat, false when the room is full. */
  CompletionStage<Boolean> claimSeat(RoomId room, PeerId peer);

  /**
   * Gives the seat back; a no-op for a peer that holds none. Completes once the seat is free (or
   * the release failed and is left to the store's own reconciliation), never exceptionally.
   */
  CompletionStage<Void> releaseSeat(RoomId room, PeerId peer);

  /** Whether new joins can be served now (the in-memory store always can). */
  default boolean isReady() {
    return true;
  }

  /** Whether the store's backend answers (the in-memory store always does). */
  default boolean isBackendUp() {
    return true;
  }

  /** Whether the circuit breaker around the backend is open (never, in memory). */
  default boolean isCircuitOpen() {
    return false;
  }
}
