package dev.switchboard.baseline;

import dev.switchboard.config.SignalingConfig;
import jakarta.inject.Inject;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Adds {@link BaselineEndpoint} at {@value #PATH} when {@code BENCH_BASELINE_ENDPOINT=true}.
 * Registered programmatically so that it does not exist at all otherwise: it has no origin check,
 * no authentication and no limits.
 */
@WebListener
public class BaselineRegistration implements ServletContextListener {

  public static final String PATH = "/bench/baseline";
  private static final Logger LOG = Logger.getLogger(BaselineRegistration.class.getName());

  @Inject SignalingConfig config;

  @Override
  public void contextInitialized(ServletContextEvent event) {
    if (!config.benchBaselineEndpoint()) {
      return;
    }
    Object container = event.getServletContext().getAttribute(ServerContainer.class.getName());
    if (!(container instanceof ServerContainer server)) {
      throw new IllegalStateException("BENCH_BASELINE_ENDPOINT=true but no WebSocket container");
    }
    ConcurrentHashMap<String, Set<Session>> groups = new ConcurrentHashMap<>();
    ServerEndpointConfig endpoint =
        ServerEndpointConfig.Builder.create(BaselineEndpoint.class, PATH)
            .configurator(
                new ServerEndpointConfig.Configurator() {
                  @Override
                  public <T> T getEndpointInstance(Class<T> type) {
                    return type.cast(new BaselineEndpoint(groups));
                  }
                })
            .build();
    try {
      server.addEndpoint(endpoint);
    } catch (DeploymentException e) {
      throw new IllegalStateException("Cannot add the baseline endpoint at " + PATH, e);
    }
    LOG.warning(
        "BENCH_BASELINE_ENDPOINT=true: an unauthenticated bare relay is open at "
            + PATH
            + "; for benchmarks only, never in production");
  }
}
