package dev.switchboard.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.room.CloseCause;
import dev.switchboard.room.Connection;
import dev.switchboard.room.LocalRoomStore;
import dev.switchboard.room.RoomId;
import dev.switchboard.room.RoomRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class DrainTest {

  /** Records sends and closes, completing sends at once. */
  static final class Recorder implements Connection {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void send(String text, Consumer<Throwable> done) {
      events.add(text);
      done.accept(null);
    }

    @Override
    public void ping() {}

    @Override
    public void close(CloseCause cause) {
      events.add("close:" + cause);
    }
  }

  private final SignalingConfig config =
      SignalingConfig.from(Map.of("DRAIN_TIMEOUT_MS", "1000")::get);
  private final RoomRegistry registry =
      new RoomRegistry(new LocalRoomStore(2), config, Runnable::run);

  private Drain drain() {
    Drain drain = new Drain();
    drain.registry = registry;
    drain.config = config;
    return drain;
  }

  @Test
  void tellsEveryClientToReconnectBeforeClosingItAndEmptiesTheRegistry() {
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    Recorder c = new Recorder();
    registry.open(new RoomId("one"), a);
    registry.open(new RoomId("one"), b);
    registry.open(new RoomId("two"), c);
    Drain drain = drain();

    drain.drain();

    assertThat(drain.isDraining()).isTrue();
    assertThat(registry.connectionCount()).isZero();
    for (Recorder client : List.of(a, b, c)) {
      assertThat(client.events).contains(Drain.RECONNECT.text(), "close:SERVER_DRAINING");
      assertThat(client.events.indexOf(Drain.RECONNECT.text()))
          .isLessThan(client.events.indexOf("close:SERVER_DRAINING"));
    }
  }

  @Test
  void drainsOnlyOnce() {
    Recorder a = new Recorder();
    registry.open(new RoomId("one"), a);
    Drain drain = drain();
    drain.drain();
    drain.drain();
    assertThat(a.events).containsOnlyOnce(Drain.RECONNECT.text());
  }
}
