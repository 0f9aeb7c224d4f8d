package dev.switchboard.launcher;

import dev.switchboard.config.ConfigException;
import dev.switchboard.config.SignalingConfig;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The uber-jar's main class. It validates the whole configuration before Payara Micro boots (a
 * failed deployment would leave Payara running without the application), maps {@code PORT} / {@code
 * WS_PORT} and {@code HEALTH_PORT} onto Payara's listeners, then hands over to Payara Micro's own
 * main.
 */
public final class Launcher {

  static final String HEALTH_PORT_PROPERTY = "switchboard.health.port";

  /** {@code HTTP_IDLE_TIMEOUT_SECONDS}, for the listeners' keep-alive timeout in the boot file. */
  static final String IDLE_TIMEOUT_PROPERTY = "switchboard.http.idle.timeout";

  /** {@code HTTP_WORKER_THREADS}, for the HTTP thread pool's size in the boot file. */
  static final String WORKERS_PROPERTY = "switchboard.http.workers";

  /**
   * {@code true} when the launcher opens the health-only listener on {@code HEALTH_PORT}. Unset
   * wherever the launcher did not start the server (the WAR on a full server), where there is no
   * such listener.
   */
  public static final String HEALTH_ENABLED_PROPERTY = "switchboard.health.enabled";

  private static final String PAYARA_MAIN = "fish.payara.micro.PayaraMicro";
  private static final String REGISTRY_MBEAN = "dev.switchboard:type=Registry";
  private static final int TERMINATED_BY_SIGTERM = 128 + 15;

  private Launcher() {}

  public static void main(String[] args) throws ReflectiveOperationException {
    SignalingConfig config;
    try {
      config = SignalingConfig.from(Launcher::setting);
    } catch (ConfigException e) {
      System.err.println("switchboard: invalid configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (setting("INSTANCE_ID") == null) {
      // The WAR reads its configuration again through MicroProfile Config: keep one id.
      System.setProperty("INSTANCE_ID", config.instanceId());
    }
    System.setProperty(InstanceLogFormatter.INSTANCE_PROPERTY, config.instanceId());
    System.setProperty(InstanceLogFormatter.PRETTY_PROPERTY, String.valueOf(config.prettyLogs()));
    System.setProperty(HEALTH_PORT_PROPERTY, String.valueOf(config.healthPort()));
    System.setProperty(HEALTH_ENABLED_PROPERTY, String.valueOf(config.separateHealthPort()));
    System.setProperty(IDLE_TIMEOUT_PROPERTY, String.valueOf(config.httpIdleTimeoutSeconds()));
    System.setProperty(WORKERS_PROPERTY, String.valueOf(config.httpWorkerThreads()));
    drainBeforeShutdownOnSigterm();
    try {
      Class.forName(PAYARA_MAIN)
          .getMethod("main", String[].class)
          .invoke(null, (Object) payaraArguments(config, args));
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw e;
    }
  }

  /**
   * On SIGTERM, drains through the registry's MBean first and only then exits, which runs the
   * shutdown hooks.
   *
   * <p>Why: the application's own drain also runs as a JVM shutdown hook, but Payara Micro stops
   * its web container in another hook, and the JVM runs hooks concurrently: a drain's {@code
   * reconnect} messages were sometimes lost to the container going away under them (seen in
   * DrainIT). There is no standard Java API for signals, hence {@code sun.misc.Signal}.
   */
  @SuppressWarnings("sunapi")
  private static void drainBeforeShutdownOnSigterm() {
    try {
      sun.misc.Signal.handle(
          new sun.misc.Signal("TERM"),
          signal ->
              new Thread(
                      () -> {
                        try {
                          drainThroughJmx();
                        } finally {
                          System.exit(TERMINATED_BY_SIGTERM);
                        }
                      },
                      "switchboard-sigterm")
                  .start());
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      // No signal support here: the application's shutdown hook still drains.
    }
  }

  private static void drainThroughJmx() {
    try {
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      ObjectName registry = new ObjectName(REGISTRY_MBEAN);
      if (server.isRegistered(registry)) {
        server.invoke(registry, "drain", new Object[0], new String[0]);
      }
    } catch (JMException | RuntimeException e) {
      System.err.println("switchboard: drain on SIGTERM failed: " + e);
    }
  }

  static String[] payaraArguments(SignalingConfig config, String[] userArgs) {
    List<String> all = new ArrayList<>(List.of("--port", String.valueOf(config.port())));
    all.addAll(List.of(userArgs));
    return all.toArray(String[]::new);
  }

  /** System properties override environment variables, as in MicroProfile Config. */
  private static String setting(String name) {
    String value = System.getProperty(name);
    return value != null ? value : System.getenv(name);
  }
}
