package dev.switchboard.cluster;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Feeds the original server's circuit-breaker variables to MicroProfile Fault Tolerance, which
 * reads annotation overrides from configuration: {@code CB_ERROR_THRESHOLD} becomes the breaker's
 * request volume (with a failure ratio of 1, that many failures in a row open it) and {@code
 * CB_OPEN_MS} its delay. Registered in {@code META-INF/services}; values were validated at start.
 */
public class FaultToleranceSettings implements ConfigSource {

  private static final String BREAKER = RedisGateway.class.getName() + "/call/CircuitBreaker/";

  private final Map<String, String> properties;

  public FaultToleranceSettings() {
    this(System::getenv);
  }

  FaultToleranceSettings(java.util.function.Function<String, String> env) {
    Map<String, String> p = new TreeMap<>();
    String threshold = env.apply("CB_ERROR_THRESHOLD");
    if (threshold != null && !threshold.isBlank()) {
      p.put(BREAKER + "requestVolumeThreshold", threshold.trim());
    }
    String openMs = env.apply("CB_OPEN_MS");
    if (openMs != null && !openMs.isBlank()) {
      p.put(BREAKER + "delay", openMs.trim());
      p.put(BREAKER + "delayUnit", "MILLIS");
    }
    properties = Map.copyOf(p);
  }

  @Override
  public Map<String, String> getProperties() {
    return properties;
  }

  @Override
  public Set<String> getPropertyNames() {
    return properties.keySet();
  }

  @Override
  public String getValue(String name) {
    return properties.get(name);
  }

  @Override
  public String getName() {
    return "switchboard-circuit-breaker";
  }

  @Override
  public int getOrdinal() {
    return 250;
  }
}
