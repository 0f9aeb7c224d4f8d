package dev.switchboard.it;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.java_websocket.WebSocket;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.protocols.IProtocol;
import org.java_websocket.protocols.Protocol;

/** A real WebSocket client (Java-WebSocket) that records what it receives and how it closed. */
public class TestClient extends WebSocketClient {

  /** How a connection ended: the close code and reason the client saw. */
  public record Closed(int code, String reason, boolean remote) {}

  /**
   * Sync messages: tests send them to learn that two members are in the room; never queued as a
   * message. Each wait uses a fresh token, so a sync left over from an earlier wait (a client in
   * two pairings in turn) cannot satisfy a later one.
   */
  private static final String SYNC_PREFIX =
      "{\"type\":\"control\",\"action\":\"it-sync\",\"payload\":{\"token\":\"";

  static String sync(String token) {
    return SYNC_PREFIX + token + "\"}}";
  }

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
  private final CompletableFuture<Closed> closed = new CompletableFuture<>();
  private final CompletableFuture<ServerHandshake> opened = new CompletableFuture<>();
  private final Set<String> syncs = ConcurrentHashMap.newKeySet();
  private volatile String sendOnOpen;
  private final AtomicInteger pings = new AtomicInteger();

  public TestClient(URI uri, Map<String, String> headers, List<String> subprotocols) {
    super(uri, draft(subprotocols), new HashMap<>(headers), 5_000);
    setConnectionLostTimeout(0); // the server's heartbeat is under test, not the client's
  }

  private static Draft_6455 draft(List<String> subprotocols) {
    List<IProtocol> protocols =
        subprotocols.isEmpty()
            ? List.of(new Protocol(""))
            : subprotocols.stream().map(p -> (IProtocol) new Protocol(p)).toList();
    return new Draft_6455(List.of(), protocols);
  }

  /** Connects and waits for the handshake; fails the test if it does not complete. */
  public static TestClient open(URI uri) {
    return open(uri, Map.of(), List.of());
  }

  public static TestClient open(URI uri, Map<String, String> headers, List<String> subprotocols) {
    return opened(connected(new TestClient(uri, headers, subprotocols)));
  }

  /**
   * Connects from the loopback address {@code local} (127.0.0.2, ...), so that a test has a client
   * address of its own; fails the test if the handshake does not complete.
   */
  public static TestClient openFrom(URI uri, String local) {
    return opened(connected(boundTo(new TestClient(uri, Map.of(), List.of()), local)));
  }

  /** Like {@link #openFrom} without asserting success: for handshakes meant to fail. */
  public static TestClient attemptFrom(URI uri, String local) {
    return attemptFrom(uri, local, Map.of());
  }

  /** Like {@link #attemptFrom(URI, String)}, sending {@code headers} with the handshake. */
  public static TestClient attemptFrom(URI uri, String local, Map<String, String> headers) {
    return connected(boundTo(new TestClient(uri, headers, List.of()), local));
  }

  /** Connects and sends {@code message} the instant the socket opens, before anything else. */
  public static TestClient openSending(URI uri, String message) {
    TestClient client = new TestClient(uri, Map.of(), List.of());
    client.sendOnOpen = message;
    return opened(connected(client));
  }

  /** Connects without asserting success: for handshakes that are meant to fail. */
  public static TestClient attempt(
      URI uri, Map<String, String> headers, List<String> subprotocols) {
    return connected(new TestClient(uri, headers, subprotocols));
  }

  private static TestClient boundTo(TestClient client, String local) {
    client.setSocketFactory(new BoundSocketFactory(local));
    return client;
  }

  /** Waits (at most 10 s) for the handshake to succeed or fail. */
  private static TestClient connected(TestClient client) {
    try {
      client.connectBlocking(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return client;
  }

  private static TestClient opened(TestClient client) {
    if (!client.opened.isDone()) { // the handshake completed (the server may have closed since)
      throw new AssertionError("WebSocket handshake with " + client.getURI() + " did not complete");
    }
    return client;
  }

  /** Unconnected sockets bound to one local address; the client connects them itself. */
  private static final class BoundSocketFactory extends javax.net.SocketFactory {
    private final String local;

    BoundSocketFactory(String local) {
      this.local = local;
    }

    @Override
    public java.net.Socket createSocket() throws java.io.IOException {
      java.net.Socket socket = new java.net.Socket();
      socket.bind(new java.net.InetSocketAddress(local, 0));
      return socket;
    }

    // Java-WebSocket calls only createSocket() and connects the socket itself; the connecting
    // variants below are never reached, and would bypass the bound local address if they were.
    @Override
    public java.net.Socket createSocket(String host, int port) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.net.Socket createSocket(
        String host, int port, java.net.InetAddress localHost, int localPort) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.net.Socket createSocket(java.net.InetAddress host, int port) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.net.Socket createSocket(
        java.net.InetAddress address, int port, java.net.InetAddress localAddress, int localPort) {
      throw new UnsupportedOperationException();
    }
  }

  @Override
  public void onOpen(ServerHandshake handshake) {
    String first = sendOnOpen;
    if (first != null) {
      send(first); // in the same callback that reports the socket open
    }
    opened.complete(handshake);
  }

  @Override
  public void onMessage(String message) {
    if (message.startsWith(SYNC_PREFIX)) {
      syncs.add(message);
      return;
    }
    messages.add(message);
  }

  @Override
  public void onMessage(ByteBuffer bytes) {
    messages.add("binary:" + bytes.remaining());
  }

  @Override
  public void onWebsocketPing(WebSocket conn, Framedata f) {
    pings.incrementAndGet();
    super.onWebsocketPing(conn, f); // answers with a pong
  }

  /** Pings received from the server (each answered with a pong). */
  public int pings() {
    return pings.get();
  }

  @Override
  public void onClose(int code, String reason, boolean remote) {
    closed.complete(new Closed(code, reason, remote));
  }

  @Override
  public void onError(Exception ex) {
    // Reported through onClose, which always follows.
  }

  /** The next message, waiting up to ten seconds; fails the test if none arrives. */
  public String next() {
    return next(WAIT);
  }

  public String next(Duration wait) {
    try {
      String message = messages.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
      if (message == null) {
        throw new AssertionError("no message within " + wait + " on " + getURI());
      }
      return message;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public boolean hasMessage() {
    return !messages.isEmpty();
  }

  /** The next message if one is already here. */
  public String poll() {
    return messages.poll();
  }

  /** How the connection closed, waiting up to ten seconds. */
  public Closed awaitClose() {
    return closed.orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
  }

  boolean synced(String token) {
    return syncs.contains(sync(token));
  }

  public boolean isClosedYet() {
    return closed.isDone();
  }

  public String negotiatedSubprotocol() {
    return getProtocol() == null ? "" : getProtocol().getProvidedProtocol();
  }

  public String handshakeStatus() {
    ServerHandshake h = opened.getNow(null);
    return h == null ? "none" : String.valueOf(h.getHttpStatus());
  }
}
