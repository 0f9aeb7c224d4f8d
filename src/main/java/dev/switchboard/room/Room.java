package dev.switchboard.room;

import java.util.ArrayList;
import java.util.List;

/**
 * The members of one room on this instance. Immutable: the registry swaps in a new room inside
 * {@code ConcurrentHashMap.compute}, so relaying iterates a stable member list without locks.
 */
record Room(RoomId id, List<Peer> members) {

  Room {
    members = List.copyOf(members);
  }

  static Room of(RoomId id, Peer first) {
    return new Room(id, List.of(first));
  }

  Room with(Peer peer) {
    List<Peer> more = new ArrayList<>(members);
    more.add(peer);
    return new Room(id, more);
  }

  /**
   * This room without {@code peer}, or null when nobody is left (which removes it from the map).
   */
  Room without(Peer peer) {
    List<Peer> fewer = new ArrayList<>(members);
    fewer.remove(peer);
    return fewer.isEmpty() ? null : new Room(id, fewer);
  }
}
