package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Connections that never join: thousands of TCP connections that send nothing, or only part of a
 * WebSocket upgrade request, are closed by the server after {@code HTTP_IDLE_TIMEOUT_SECONDS},
 * while a joined pair that sits quiet for longer than that keeps relaying.
 */
class IdleConnectionsIT {

  private static final int IDLE_TIMEOUT_SECONDS = 3;
  private static final int SILENT = 1_000;
  private static final int HALF_UPGRADED = 1_000;

  @Test
  void closesConnectionsThatNeverCompleteTheirUpgradeAndKeepsJoinedOnes() throws Exception {
    ServerProcess server =
        ServerProcess.start(
            "idle", Map.of("HTTP_IDLE_TIMEOUT_SECONDS", String.valueOf(IDLE_TIMEOUT_SECONDS)));
    List<SocketChannel> idle = new ArrayList<>();
    try (Selector selector = Selector.open()) {
      Pair pair = Pair.join(server, SignalingIT.room());
      double fdsBefore = server.metric("process_open_fds");

      byte[] partial =
          ("GET /?roomId=" + SignalingIT.room() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: ")
              .getBytes(StandardCharsets.US_ASCII);
      long opened = System.nanoTime();
      for (int i = 0; i < SILENT + HALF_UPGRADED; i++) {
        SocketChannel channel =
            SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()));
        if (i % 2 == 1) {
          channel.write(ByteBuffer.wrap(partial));
        }
        channel.configureBlocking(false);
        channel.register(selector, SelectionKey.OP_READ);
        idle.add(channel);
      }
      double fdsWithIdle = server.metric("process_open_fds");

      int closed = 0;
      ByteBuffer sink = ByteBuffer.allocate(4096);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (closed < idle.size() && System.nanoTime() < deadline) {
        selector.select(1_000);
        for (SelectionKey key : selector.selectedKeys()) {
          SocketChannel channel = (SocketChannel) key.channel();
          sink.clear();
          int read;
          try {
            read = channel.read(sink);
          } catch (IOException reset) {
            read = -1;
          }
          if (read < 0) {
            key.cancel();
            channel.close();
            closed++;
          }
        }
        selector.selectedKeys().clear();
      }
      long tookMs = (System.nanoTime() - opened) / 1_000_000;
      System.out.printf(
          "[it] %d silent and %d half-upgraded connections: %d closed by the server within %d ms"
              + " of opening (timeout %d s); open fds %.0f before, %.0f with them%n",
          SILENT, HALF_UPGRADED, closed, tookMs, IDLE_TIMEOUT_SECONDS, fdsBefore, fdsWithIdle);
      assertThat(closed).as("closed by the server").isEqualTo(SILENT + HALF_UPGRADED);
      assertThat(fdsWithIdle).as("the server held them").isGreaterThan(fdsBefore + SILENT);

      // The pair has sat quiet longer than the timeout: upgraded sockets are not cut by it.
      pair.first().send("{\"type\":\"offer\",\"sdp\":\"v=0 after\"}");
      assertThat(pair.second().next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"v=0 after\"}");
      assertThat(server.metric("process_open_fds"))
          .as("the server's descriptors are back")
          .isLessThan(fdsBefore + 50);
    } finally {
      for (SocketChannel channel : idle) {
        channel.close();
      }
      server.stop();
    }
  }
}
