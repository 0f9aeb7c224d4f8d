package dev.switchboard.relay;

import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import jakarta.websocket.server.ServerContainer;

/**
 * Turns off the WebSocket container's session idle timeout. Tyrus re-arms it on every message
 * through Payara's managed scheduler, whose context capture scans the class path: that alone cost
 * over a millisecond of CPU per relayed message. Dead peers are found by the heartbeat instead.
 */
@WebListener
public class IdleTimeoutOff implements ServletContextListener {

  @Override
  public void contextInitialized(ServletContextEvent event) {
    Object container = event.getServletContext().getAttribute(ServerContainer.class.getName());
    if (container instanceof ServerContainer server) {
      server.setDefaultMaxSessionIdleTimeout(0);
    }
  }
}
