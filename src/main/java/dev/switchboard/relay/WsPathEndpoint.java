package dev.switchboard.relay;

import jakarta.websocket.server.ServerEndpoint;

/** The same socket at {@code /ws}, for clients and proxies that route WebSockets by path. */
@ServerEndpoint(value = "/ws", configurator = HandshakeConfigurator.class)
public class WsPathEndpoint extends SignalingEndpoint {

  public WsPathEndpoint(EndpointContext context) {
    super(context);
  }
}
