package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A member that stops reading is closed with 1013 once the server holds more than {@code
 * BACKPRESSURE_CLOSE_THRESHOLD_BYTES} (default 5 MiB) for it; the sender is unaffected.
 */
class BackpressureIT {

  private static final int CHUNK_CHARS = 200_000;
  private static final int MAX_FRAMES = 400;

  private final ServerProcess server = ServerProcess.standard();

  @Test
  void closesAReaderThatFallsBehindWith1013AndLeavesTheSenderAlone() {
    String room = SignalingIT.room();
    TestClient sender = TestClient.open(server.room(room));
    try (RawWebSocket stalled = RawWebSocket.connect(server.room(room))) {
      assertThat(stalled.upgraded()).isTrue();
      Pair.awaitSyncFromRaw(sender, stalled);
      String chunk = "{\"type\":\"control\",\"action\":\"" + "z".repeat(CHUNK_CHARS) + "\"}";
      int sent = 0;
      while (sent < MAX_FRAMES && !sender.hasMessage()) {
        sender.send(chunk);
        sent++;
      }
      assertThat(sender.next()).isEqualTo("{\"type\":\"peer-disconnected\"}");
      // The close frame queues behind megabytes the reader never took; Tyrus may give up on
      // them and drop the socket instead. Either way the connection must end, and a close frame,
      // if it comes, must say why.
      RawWebSocket.Frame close = stalled.readUntil(RawWebSocket.CLOSE);
      if (close != null) {
        assertThat(close.closeCode()).isEqualTo(1013);
        assertThat(close.closeReason()).isEqualTo("Server overloaded");
      }
      System.out.printf(
          "[it] backpressure: stalled reader closed after %d frames of %d bytes (%s)%n",
          sent, chunk.length(), close == null ? "socket dropped" : "close frame 1013");
    }
    TestClient next = TestClient.open(server.room(room));
    Pair.awaitSync(sender, next);
    next.send("{\"type\":\"offer\",\"sdp\":\"after\"}");
    assertThat(sender.next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"after\"}");
  }
}
