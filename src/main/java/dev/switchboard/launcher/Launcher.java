package dev.switchboard.launcher;

import dev.switchboard.config.ConfigException;
import dev.switchboard.config.SignalingConfig;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;

/**
 * The uber-jar's main class. It validates the whole configuration before Payara Micro boots (a
 * failed deployment would leave Payara running without the application), maps {@code PORT} / {@code
 * WS_PORT} and {@code HEALTH_PORT} onto Payara's listeners, then hands over to Payara Micro's own
 * main.
 */
public final class Launcher {

  static final String HEALTH_PORT_PROPERTY = "switchboard.health.port";
  static final String HEALTH_ENABLED_PROPERTY = "switchboard.health.enabled";
  private static final String PAYARA_MAIN = "fish.payara.micro.PayaraMicro";

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
    System.setProperty(HEALTH_PORT_PROPERTY, String.valueOf(config.healthPort()));
    System.setProperty(HEALTH_ENABLED_PROPERTY, String.valueOf(config.separateHealthPort()));
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
