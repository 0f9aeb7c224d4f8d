package dev.switchboard.relay;

import dev.switchboard.config.SignalingConfig;
import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;

/**
 * Runs before the WebSocket upgrade, where a refusal costs one HTTP response. Today it keeps the
 * {@code HEALTH_PORT} listener to the health paths; the per-IP connection limit and token checks
 * belong here too.
 */
@WebFilter(urlPatterns = "/*")
public class HandshakeFilter extends HttpFilter {

  private static final long serialVersionUID = 1L;
  private static final Set<String> HEALTH_PATHS = Set.of("/healthz", "/readyz");

  @Inject transient SignalingConfig config;

  @Override
  protected void doFilter(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (config.separateHealthPort()
        && request.getLocalPort() == config.healthPort()
        && !HEALTH_PATHS.contains(request.getServletPath())) {
      response.sendError(HttpServletResponse.SC_NOT_FOUND);
      return;
    }
    chain.doFilter(request, response);
  }
}
