package dev.switchboard.bench;

import java.util.concurrent.ScheduledFuture;

/** Two members of one room and the per-room state scenarios keep. */
final class Room {
  enum State {
    OPENING,
    READY,
    LEAVING,
    JOINING,
    FAILED
  }

  /** One connection's role in its room. */
  static final class Member {
    final Room room;
    final boolean first;
    volatile WsClient client;

    /** Set before a deliberate close so that it does not count as unexpected. */
    volatile boolean closing;

    // sending (relay), touched only on the client's event loop
    long nextSeq;
    long firstSendNanos;
    long periodNanos;
    ScheduledFuture<?> sender;
    // receiving the peer's stream, touched only on the client's event loop
    final SeqTracker received = new SeqTracker();

    Member(Room room, boolean first) {
      this.room = room;
      this.first = first;
    }

    Member peer() {
      return first ? room.b : room.a;
    }
  }

  final int index;
  final String id;
  final Member a = new Member(this, true);

  /** Replaced by a fresh Member on every churn rejoin. */
  volatile Member b = new Member(this, false);

  volatile State state = State.OPENING;
  volatile long readyNanos;
  ScheduledFuture<?> syncTask;
  // churn
  long leaveStartNanos;
  long joinStartNanos;
  int joinAttempts;

  Room(int index, String id) {
    this.index = index;
    this.id = id;
  }
}
