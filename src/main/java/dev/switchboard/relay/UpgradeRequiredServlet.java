package dev.switchboard.relay;

import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** Plain HTTP on a WebSocket path gets {@code 426 Upgrade Required}, as from the original. */
@WebServlet(urlPatterns = {"", "/ws"})
public class UpgradeRequiredServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    response.setStatus(426);
    response.setHeader("Upgrade", "websocket");
    response.setHeader("Connection", "Upgrade");
    response.setContentType("text/plain;charset=UTF-8");
    response.getWriter().write("Upgrade Required");
  }
}
