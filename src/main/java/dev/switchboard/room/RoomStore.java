package dev.switchboard.room;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Where seats in rooms are claimed and released: in memory for a single instance, or in Redis so
 * that capacity holds across instances. Claims may complete later; the registry holds a joining
 * peer's messages until they do.
 */
public interface RoomStore {

  /** This object itself, past CDI's client proxy: see {@link RoomRegistry#unproxied}. */
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
