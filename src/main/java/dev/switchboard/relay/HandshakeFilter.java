package dev.switchboard.relay;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.launcher.Launcher;
import dev.switchboard.metrics.PrometheusServlet;
import dev.switchboard.metrics.SignalingMetrics;
import dev.switchboard.room.InvalidRoomIdException;
import dev.switchboard.room.RoomId;
import dev.switchboard.security.RateLimits;
import dev.switchboard.security.TokenSource;
import dev.switchboard.security.TokenVerifier;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Runs before the WebSocket upgrade, where a refusal costs one HTTP response: keeps the uber-jar's
 * {@code HEALTH_PORT} listener to the health paths and, with {@code ENABLE_AUTH=true}, answers a
 * missing or invalid token with 401 and a token for another room with 403. (A bad room id passes
 * here and is closed with 1008 {@code Invalid roomId} once upgraded, as in the original.) On Payara
 * it also hands upgrades a {@link PipelineSafeUpgradeHandler}; on every server, an upgrade never
 * creates an HTTP session ({@link #withoutNewSession}).
 */
@WebFilter(urlPatterns = "/*")
public class HandshakeFilter extends HttpFilter {

  private static final long serialVersionUID = 1L;
  private static final Set<String> HEALTH_PATHS =
      Set.of("/healthz", "/readyz", PrometheusServlet.PATH);
  private static final int NO_PORT = -1;
  private static final int SC_TOO_MANY_REQUESTS = 429;

  @Inject transient SignalingConfig config;
  @Inject transient RateLimits limits;
  @Inject transient SignalingMetrics metrics;
  private transient TokenVerifier verifier;
  private boolean tyrusServlet;
  private int healthOnlyPort;

  @Override
  public void init() {
    verifier = config.enableAuth() ? new TokenVerifier(config) : null;
    tyrusServlet = tyrusServletPresent();
    healthOnlyPort = healthOnlyPort(config);
  }

  /**
   * The port of the uber-jar's health-only listener, or {@link #NO_PORT}. Only the launcher opens
   * that listener (and says so in a system property). Elsewhere, as for the WAR on Payara Server,
   * {@code HEALTH_PORT} names no listener of this server: its default 8080 is then usually the
   * server's own HTTP port, which must keep serving everything.
   */
  static int healthOnlyPort(SignalingConfig config) {
    return config.separateHealthPort() && Boolean.getBoolean(Launcher.HEALTH_ENABLED_PROPERTY)
        ? config.healthPort()
        : NO_PORT;
  }

  /**
   * Whether WebSockets are upgraded by Payara's Tyrus servlet handler, which {@link
   * PipelineSafeUpgradeHandler} extends. Checked by name: on other servers (Open Liberty) that
   * class and so the subclass cannot be loaded at all.
   */
  private static boolean tyrusServletPresent() {
    try {
      Class.forName(
          "org.glassfish.tyrus.servlet.TyrusHttpUpgradeHandler",
          false,
          HandshakeFilter.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  private static List<String> headers(HttpServletRequest request, String name) {
    Enumeration<String> values = request.getHeaders(name);
    return values == null ? List.of() : Collections.list(values);
  }

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (request.getLocalPort() == healthOnlyPort
        && !HEALTH_PATHS.contains(request.getServletPath())) {
      response.sendError(HttpServletResponse.SC_NOT_FOUND);
      return;
    }
    if (verifier != null && isUpgrade(request)) {
      Optional<RoomId> room = roomOf(request);
      if (room.isPresent()) {
        switch (verifier.check(TokenSource.of(request).orElse(null), room.get())) {
          case UNAUTHORIZED -> {
            response.setHeader("WWW-Authenticate", "Bearer");
            response.sendError(HttpServletResponse.SC_UNAUTHORIZED, "Unauthorized");
            return;
          }
          case FORBIDDEN -> {
            response.sendError(HttpServletResponse.SC_FORBIDDEN, "Forbidden");
            return;
          }
          case ALLOWED -> {
            // on to the upgrade
          }
        }
      }
    }
    if (!isUpgrade(request)) {
      chain.doFilter(request, response);
      return;
    }
    String client =
        ForwardedClient.of(
            request.getRemoteAddr(),
            config.trustProxy(),
            headers(request, "Forwarded"),
            headers(request, "X-Forwarded-For"));
    RateLimits.Refusal refused = limits.admitConnection(client);
    if (refused != null) {
      // Refused before the upgrade, where it costs one small response.
      metrics.rateLimited(refused.limit());
      response.setHeader("Retry-After", String.valueOf((refused.retryAfterMs() + 999) / 1000));
      response.sendError(SC_TOO_MANY_REQUESTS, "Rate limited");
      return;
    }
    HttpServletRequest upgrade = withoutNewSession(ClientAddress.attach(request, client));
    chain.doFilter(tyrusServlet ? PipelineSafeUpgradeHandler.guard(upgrade) : upgrade, response);
  }

  /**
   * The upgrade request as the container's WebSocket code sees it: asking it for the HTTP session
   * returns the existing one or null, never a new one. Open Liberty's handshake calls {@code
   * getSession()} on every upgrade (to offer it as {@code HandshakeRequest.getHttpSession()}), so
   * each WebSocket created an HTTP session: a {@code JSESSIONID} cookie on every 101, a lock on one
   * {@code SecureRandom} taken by every handshake, and a session kept in memory for the session
   * timeout (30 minutes by default) after its socket had closed. Switchboard uses no HTTP session,
   * and JSR 356 lets {@code getHttpSession()} be null. (Payara's Tyrus already asks without
   * creating one.)
   */
  static HttpServletRequest withoutNewSession(HttpServletRequest request) {
    return new HttpServletRequestWrapper(request) {
      @Override
      public HttpSession getSession() {
        return super.getSession(false);
      }

      @Override
      public HttpSession getSession(boolean create) {
        return super.getSession(false);
      }
    };
  }

  private static boolean isUpgrade(HttpServletRequest request) {
    String upgrade = request.getHeader("Upgrade");
    return upgrade != null && upgrade.equalsIgnoreCase("websocket");
  }

  private Optional<RoomId> roomOf(HttpServletRequest request) {
    try {
      return Optional.of(RoomId.parse(request.getParameter("roomId"), config.roomIdMaxLength()));
    } catch (InvalidRoomIdException e) {
      return Optional.empty();
    }
  }
}
