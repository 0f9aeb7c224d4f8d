package dev.switchboard.health;

import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** {@code GET /healthz} answers 200 {@code ok}; {@code GET /readyz} 200 {@code ready} or 503. */
@WebServlet(urlPatterns = {"/healthz", "/readyz"})
public class HealthServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;

  @Inject transient Readiness readiness;

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    response.setContentType("text/plain;charset=UTF-8");
    response.setHeader("Cache-Control", "no-store");
    if (request.getServletPath().equals("/healthz")) {
      response.getWriter().write("ok");
    } else if (readiness.isReady()) {
      response.getWriter().write("ready");
    } else {
      response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
      response.getWriter().write("not-ready");
    }
  }
}
