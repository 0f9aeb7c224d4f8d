package dev.switchboard.room;

import java.util.function.Consumer;

/** Peers for tests outside this package that drive a {@link RoomBus} without a registry. */
public final class TestPeers {

  private TestPeers() {}

  /** A peer of {@code room} whose socket accepts every frame at once. */
  public static Peer peer(RoomId room) {
    return new Peer(PeerId.random(), room, new AcceptingConnection(), 1 << 20);
  }

  private static final class AcceptingConnection implements Connection {
    @Override
    public void send(String text, Consumer<Throwable> done) {
      done.accept(null);
    }

    @Override
    public void ping() {}

    @Override
    public void close(CloseCause cause) {}
  }
}
