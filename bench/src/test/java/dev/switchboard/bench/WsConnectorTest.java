package dev.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The attachment must be visible to a connection's first event, which can fire on an event loop
 * before connect() returns. A churn rejoin whose thread was descheduled right after connect() used
 * to open without it, skip its sync and stay JOINING for the rest of the run.
 */
class WsConnectorTest {

  static final class Recorder implements WsClient.Listener {
    final CompletableFuture<Object> opened = new CompletableFuture<>();
    final CompletableFuture<Object> closed = new CompletableFuture<>();

    @Override
    public void onOpen(WsClient c) {
      opened.complete(String.valueOf(c.attachment));
    }

    @Override
    public void onText(WsClient c, String text) {}

    @Override
    public void onClosed(
        WsClient c, boolean wasOpen, int closeCode, String reason, Throwable cause) {
      closed.complete(String.valueOf(c.attachment));
    }
  }

  @Test
  void onOpenSeesTheAttachmentEvenWhenItFiresBeforeConnectReturnsToTheCaller() throws Exception {
    try (MiniRelayServer server = new MiniRelayServer();
        WsConnector connector = new WsConnector(1, List.of())) {
      Recorder events = new Recorder();
      // The caller does nothing more until the connection is open: the worst case of a caller
      // descheduled between starting the connect and touching the client.
      connector.connect(
          URI.create("ws://127.0.0.1:" + server.port() + "/?roomId=r"), events, "member");
      assertThat(events.opened.get(10, TimeUnit.SECONDS)).isEqualTo("member");
    }
  }

  @Test
  void aFailedConnectReportsItsCloseWithTheAttachment() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (WsConnector connector = new WsConnector(1, List.of())) {
      Recorder events = new Recorder();
      connector.connect(URI.create("ws://127.0.0.1:" + port + "/?roomId=r"), events, "member");
      assertThat(events.closed.get(10, TimeUnit.SECONDS)).isEqualTo("member");
    }
  }
}
