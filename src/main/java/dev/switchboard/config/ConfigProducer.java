package dev.switchboard.config;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
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

  private SignalingConfig config;

  @PostConstruct
  void read() {
    Config mp = ConfigProvider.getConfig(ConfigProducer.class.getClassLoader());
    config = SignalingConfig.from(name -> mp.getOptionalValue(name, String.class).orElse(null));
    LOG.info(
        () ->
            "Effective configuration: "
                + config.describe().entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(", ")));
  }

  @Produces
  public SignalingConfig config() {
    return config;
  }
}
