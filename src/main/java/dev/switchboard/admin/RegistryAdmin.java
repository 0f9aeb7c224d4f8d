package dev.switchboard.admin;

import dev.switchboard.health.Readiness;
import dev.switchboard.lifecycle.Drain;
import dev.switchboard.room.RoomRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/** Registers {@link RegistryMXBean} in the platform MBean server for the application's life. */
@ApplicationScoped
public class RegistryAdmin implements RegistryMXBean {

  static final String OBJECT_NAME = "dev.switchboard:type=Registry";

  private static final Logger LOG = Logger.getLogger(RegistryAdmin.class.getName());

  @Inject RoomRegistry registry;
  @Inject Drain drainer;
  @Inject Readiness readiness;

  private ObjectName name;

  void register(@Observes @Initialized(ApplicationScoped.class) Object applicationStarted) {
    try {
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      ObjectName candidate = new ObjectName(OBJECT_NAME);
      if (server.isRegistered(candidate)) {
        server.unregisterMBean(candidate); // left by an earlier deployment of this application
      }
      // `this` is the bean instance (an observer runs on it, not on the client proxy), so JMX
      // introspects RegistryMXBean directly.
      server.registerMBean(this, candidate);
      name = candidate;
    } catch (JMException e) {
      LOG.log(Level.WARNING, "JMX management is unavailable", e);
    }
  }

  @PreDestroy
  void unregister() {
    if (name != null) {
      try {
        ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
      } catch (JMException e) {
        LOG.log(Level.FINE, "MBean already gone", e);
      }
    }
  }

  @Override
  public int getConnections() {
    return registry.connectionCount();
  }

  @Override
  public int getRooms() {
    return registry.roomCount();
  }

  @Override
  public boolean isDraining() {
    return drainer.isDraining();
  }

  @Override
  public boolean isReady() {
    return readiness.isReady();
  }

  /**
   * Runs with the application's class loader as the thread's context loader: JMX callers (a
   * console's RMI thread, the launcher's SIGTERM thread) may have none, and CDI needs one.
   */
  @Override
  public long drain() {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(RegistryAdmin.class.getClassLoader());
    try {
      return drainer.drain().toMillis();
    } finally {
      thread.setContextClassLoader(previous);
    }
  }
}
