package dev.switchboard.room;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** Seats held in this process: the store of a single instance without Redis. */
public final class LocalRoomStore implements RoomStore {

  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private final int capacity;
  private final ConcurrentMap<RoomId, Set<PeerId>> seats = new ConcurrentHashMap<>();

  public LocalRoomStore(int capacity) {
    this.capacity = capacity;
  }

  @Override
  public CompletionStage<Boolean> claimSeat(RoomId room, PeerId peer) {
    boolean[] admitted = {false};
    seats.compute(
        room,
        (id, holders) -> {
          Set<PeerId> next = holders == null ? new HashSet<>() : holders;
          if (next.size() < capacity) {
            admitted[0] = next.add(peer);
          }
          return next.isEmpty() ? null : next;
        });
    return CompletableFuture.completedFuture(admitted[0]);
  }

  @Override
  public CompletionStage<Void> releaseSeat(RoomId room, PeerId peer) {
    seats.computeIfPresent(
        room,
        (id, holders) -> {
          holders.remove(peer);
          return holders.isEmpty() ? null : holders;
        });
    return DONE;
  }

  int seatsTaken(RoomId room) {
    Set<PeerId> holders = seats.get(room);
    return holders == null ? 0 : holders.size();
  }
}
