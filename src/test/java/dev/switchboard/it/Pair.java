package dev.switchboard.it;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.UUID;

/**
 * Two members of one room, both known to be registered on the server. The server sends nothing on
 * join, and a client sees its handshake complete just before the server runs {@code @OnOpen}; so a
 * test that must not race the join has the second member send sync messages until the first one
 * receives one.
 */
record Pair(TestClient first, TestClient second) {

  static Pair join(ServerProcess server, String room) {
    TestClient first = TestClient.open(server.room(room));
    TestClient second = TestClient.open(server.room(room));
    awaitSync(first, second);
    return new Pair(first, second);
  }

  /** Waits until a raw client's messages reach {@code first}: both are in the room. */
  static void awaitSyncFromRaw(TestClient first, RawWebSocket second) {
    awaitSyncFromRaw(first, second, false);
  }

  /**
   * {@link #awaitSyncFromRaw(TestClient, RawWebSocket)}; with {@code pongEachTry}, {@code second}
   * also sends an unsolicited pong before each try, so that a raw client that answers no pings is
   * not dropped by the heartbeat while the sync lasts.
   */
  static void awaitSyncFromRaw(TestClient first, RawWebSocket second, boolean pongEachTry) {
    String token = UUID.randomUUID().toString();
    await("both members registered")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              if (pongEachTry) {
                second.send(RawWebSocket.PONG, new byte[0]);
              }
              second.sendText(TestClient.sync(token));
              return first.synced(token);
            });
  }

  /** Waits until {@code second}'s messages reach {@code first}: both are in the room. */
  static void awaitSync(TestClient first, TestClient second) {
    String token = UUID.randomUUID().toString();
    await("both members registered")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              second.send(TestClient.sync(token));
              return first.synced(token);
            });
  }
}
