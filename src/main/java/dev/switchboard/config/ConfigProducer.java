package dev.switchboard.config;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Builds the {@link SignalingConfig} once from MicroProfile Config (environment variables, system
 * properties, {@code microprofile-config.properties}) and logs the effective settings.
 */
@ApplicationScoped
public class ConfigProducer {

  private static final Logger LOG = Logger.getLogger(ConfigProducer.class.getName());

  /** Held strongly: a logger's level is lost when nothing references the logger. */
  private static final Logger APPLICATION_LOGGER = Logger.getLogger("dev.switchboard");

  private SignalingConfig config;

  @PostConstruct
  void read() {
    Config mp = ConfigProvider.getConfig(ConfigProducer.class.getClassLoader());
    config = SignalingConfig.from(name -> mp.getOptionalValue(name, String.class).orElse(null));
    APPLICATION_LOGGER.setLevel(julLevel(config.logLevel()));
    LOG.info(
        () ->
            "Effective configuration: "
                + config.describe().entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(", ")));
  }

  /** {@code LOG_LEVEL} uses the original server's (Pino) level names. */
  static Level julLevel(String logLevel) {
    return switch (logLevel) {
      case "trace" -> Level.FINEST;
      case "debug" -> Level.FINE;
      case "warn" -> Level.WARNING;
      case "error", "fatal" -> Level.SEVERE;
      default -> Level.INFO;
    };
  }

  @Produces
  public SignalingConfig config() {
    return config;
  }
}
