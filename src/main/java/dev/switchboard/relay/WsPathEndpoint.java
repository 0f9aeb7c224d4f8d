package dev.switchboard.relay;

import jakarta.websocket.CloseReason;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.nio.ByteBuffer;

/**
 * The same socket at {@code /ws}, for clients and proxies that route WebSockets by path.
 *
 * <p>Repeats the callback annotations: Java does not inherit method annotations, and Open Liberty
 * (unlike Tyrus) only looks at the endpoint class's own methods.
 */
@ServerEndpoint(value = "/ws", configurator = HandshakeConfigurator.class)
public class WsPathEndpoint extends SignalingEndpoint {

  public WsPathEndpoint(EndpointContext context) {
    super(context);
  }

  /** For Open Liberty's deployment check; see {@link SignalingEndpoint#SignalingEndpoint()}. */
  public WsPathEndpoint() {
    super();
  }

  @OnOpen
  @Override
  public void onOpen(Session session, EndpointConfig endpointConfig) {
    super.onOpen(session, endpointConfig);
  }

  @OnMessage
  @Override
  public void onText(String text) {
    super.onText(text);
  }

  @OnMessage
  @Override
  public void onBinary(ByteBuffer bytes) {
    super.onBinary(bytes);
  }

  @OnMessage
  @Override
  public void onPong(PongMessage pong) {
    super.onPong(pong);
  }

  @OnClose
  @Override
  public void onClose(Session session, CloseReason reason) {
    super.onClose(session, reason);
  }

  @OnError
  @Override
  public void onError(Session session, Throwable error) {
    super.onError(session, error);
  }
}
