package dev.switchboard.relay;

import dev.switchboard.security.TokenSource;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.lang.reflect.InvocationTargetException;
import java.util.List;
import java.util.Locale;

/**
 * The handshake checks of every connection: origin ({@code ALLOWED_ORIGINS}, refused with 403), the
 * negotiated subprotocol (exactly {@code SUBPROTOCOL} or none), and the {@link Admission} verdict
 * the endpoint acts on. Also builds endpoints with their collaborators from CDI, which works on
 * every container (field injection into endpoints does not with a custom configurator on Open
 * Liberty).
 */
public class HandshakeConfigurator extends ServerEndpointConfig.Configurator {

  private volatile EndpointContext context;

  @Override
  public boolean checkOrigin(String origin) {
    List<String> allowed = context().config().allowedOrigins();
    if (allowed.isEmpty() || origin == null) {
      return true; // no list configured, or a non-browser client that sends no Origin
    }
    String normalized = origin.trim().toLowerCase(Locale.ROOT);
    return allowed.stream().anyMatch(a -> a.toLowerCase(Locale.ROOT).equals(normalized));
  }

  @Override
  public String getNegotiatedSubprotocol(List<String> supported, List<String> requested) {
    // Only the configured protocol is ever agreed; the original server accepted any. Without one,
    // a browser that sent its token as "bearer.<token>" gets that entry back: a browser fails the
    // connection when it offered protocols and the server picks none.
    return context()
        .config()
        .subprotocol()
        .filter(requested::contains)
        .or(
            () ->
                requested.stream()
                    .filter(p -> p.startsWith(TokenSource.PROTOCOL_PREFIX))
                    .findFirst())
        .orElse("");
  }

  @Override
  public List<jakarta.websocket.Extension> getNegotiatedExtensions(
      List<jakarta.websocket.Extension> installed, List<jakarta.websocket.Extension> requested) {
    return List.of(); // no permessage-deflate: signaling frames are small and CPU matters more
  }

  @Override
  public void modifyHandshake(
      ServerEndpointConfig sec, HandshakeRequest request, HandshakeResponse response) {
    Admission admission =
        Admission.decide(
            context().config(),
            context().drain().isDraining(),
            request.getHeaders(),
            request.getParameterMap(),
            request.getRequestURI() == null ? null : request.getRequestURI().getScheme());
    // Per connection: WebSocket 2.1 hands modifyHandshake a per-connection copy of the map.
    sec.getUserProperties().put(Admission.USER_PROPERTY, admission);
  }

  @Override
  public <T> T getEndpointInstance(Class<T> endpointClass) throws InstantiationException {
    try {
      return endpointClass.getDeclaredConstructor(EndpointContext.class).newInstance(context());
    } catch (NoSuchMethodException | IllegalAccessException | InvocationTargetException e) {
      InstantiationException failure =
          new InstantiationException("Cannot build " + endpointClass.getName());
      failure.initCause(e);
      throw failure;
    }
  }

  private EndpointContext context() {
    EndpointContext c = context;
    if (c == null) {
      c = EndpointContext.fromCdi();
      context = c;
    }
    return c;
  }
}
