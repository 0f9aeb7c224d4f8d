package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * A flood of upgrade requests far beyond what the HTTP workers can take at once is answered in
 * full. Payara's HTTP worker queue held 4,096 tasks by default; Grizzly's selector turns a
 * connection's read interest off before it queues the read, and when the queue refused the task
 * nothing turned it on again. Before the fix, 6,000 simultaneous upgrades on two workers left about
 * 1,900 connections unanswered (closed by the idle timeout), and an upgraded WebSocket that lost a
 * read that way was never read from again.
 */
class ConnectionFloodIT {

  private static final int CONNECTIONS = 6_000;

  @Test
  void everyUpgradeOfAFloodIsAnsweredEvenWithTwoWorkers() throws Exception {
    ServerProcess server =
        ServerProcess.start(
            "flood",
            Map.of(
                "HTTP_WORKER_THREADS", "2",
                // Long enough that no queued connection is closed as idle while it waits its turn.
                "HTTP_IDLE_TIMEOUT_SECONDS", "120",
                "RATE_LIMIT_CONN_PER_10S", "0"));
    List<SocketChannel> channels = new ArrayList<>();
    Map<String, Integer> answers = new TreeMap<>();
    try (Selector selector = Selector.open()) {
      String prefix = SignalingIT.room();
      long opened = System.nanoTime();
      for (int i = 0; i < CONNECTIONS; i++) {
        SocketChannel channel =
            SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()));
        channel.write(ByteBuffer.wrap(upgrade(prefix + "-" + i / 2, server.port())));
        channel.configureBlocking(false);
        channel.register(selector, SelectionKey.OP_READ, new StringBuilder());
        channels.add(channel);
      }

      int answered = 0;
      ByteBuffer buffer = ByteBuffer.allocate(4096);
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (answered < CONNECTIONS && System.nanoTime() < deadline) {
        selector.select(1_000);
        for (SelectionKey key : selector.selectedKeys()) {
          SocketChannel channel = (SocketChannel) key.channel();
          StringBuilder head = (StringBuilder) key.attachment();
          buffer.clear();
          int read;
          try {
            read = channel.read(buffer);
          } catch (IOException reset) {
            read = -1;
          }
          if (read > 0) {
            head.append(new String(buffer.array(), 0, read, StandardCharsets.ISO_8859_1));
          }
          int lineEnd = head.indexOf("\r\n");
          if (lineEnd >= 0 || read < 0) {
            String status =
                lineEnd >= 0 ? head.substring(0, lineEnd).split(" ")[1] : "closed unanswered";
            answers.merge(status, 1, Integer::sum);
            answered++;
            key.cancel();
          }
        }
        selector.selectedKeys().clear();
      }
      long tookMs = (System.nanoTime() - opened) / 1_000_000;
      System.out.printf(
          "[it] flood: %d upgrade requests on 2 HTTP workers, %d answered in %d ms: %s%n",
          CONNECTIONS, answered, tookMs, answers);
      assertThat(answers).containsExactly(Map.entry("101", CONNECTIONS));
      assertThat(Files.readString(server.log())).doesNotContain("RejectedExecutionException");
    } finally {
      for (SocketChannel channel : channels) {
        channel.close();
      }
      server.stop();
    }
  }

  private static byte[] upgrade(String room, int port) {
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    return ("GET /?roomId="
            + room
            + " HTTP/1.1\r\nHost: 127.0.0.1:"
            + port
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
            + Base64.getEncoder().encodeToString(nonce)
            + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }
}
