package dev.switchboard.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/** Parses raw setting values; every failure names the variable it came from. */
final class ConfigReader {

  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");

  private final Function<String, String> lookup;

  ConfigReader(Function<String, String> lookup) {
    this.lookup = lookup;
  }

  /** The value, or empty when unset or blank (an empty variable means "use the default"). */
  Optional<String> text(String name) {
    String raw = lookup.apply(name);
    return raw == null || raw.isBlank() ? Optional.empty() : Optional.of(raw.trim());
  }

  int integer(String name, int defaultValue, int min, int max) {
    return (int) longValue(name, defaultValue, min, max);
  }

  long longValue(String name, long defaultValue, long min, long max) {
    Optional<String> raw = text(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    long value;
    try {
      value = Long.parseLong(raw.get());
    } catch (NumberFormatException e) {
      throw new ConfigException(name, "must be an integer, got \"" + raw.get() + "\"");
    }
    if (value < min || value > max) {
      throw new ConfigException(
          name, "must be between " + min + " and " + max + ", got " + raw.get());
    }
    return value;
  }

  int port(String name, int defaultValue) {
    return integer(name, defaultValue, 1, 65_535);
  }

  boolean bool(String name, boolean defaultValue) {
    Optional<String> raw = text(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    return switch (raw.get().toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default ->
          throw new ConfigException(name, "must be true or false, got \"" + raw.get() + "\"");
    };
  }

  String oneOf(String name, String defaultValue, Set<String> allowed, boolean ignoreCase) {
    Optional<String> raw = text(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    String value = ignoreCase ? raw.get().toLowerCase(Locale.ROOT) : raw.get();
    if (!allowed.contains(value)) {
      throw new ConfigException(
          name,
          "must be one of " + allowed.stream().sorted().toList() + ", got \"" + raw.get() + "\"");
    }
    return value;
  }

  Optional<URI> url(String name, Set<String> schemes) {
    Optional<String> raw = text(name);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    URI uri;
    try {
      uri = new URI(raw.get());
    } catch (URISyntaxException e) {
      // The reason alone: the input may hold a password.
      throw new ConfigException(name, "is not a valid URL (" + e.getReason() + ")");
    }
    if (uri.getScheme() == null
        || !schemes.contains(uri.getScheme().toLowerCase(Locale.ROOT))
        || host(uri).isEmpty()) {
      throw new ConfigException(
          name,
          "must be a URL with a host and one of the schemes "
              + schemes.stream().sorted().toList()
              + ", got \""
              + SignalingConfig.maskUserInfo(raw.get())
              + "\"");
    }
    return Optional.of(uri);
  }

  /**
   * The host of a URL, also where {@link URI} finds none because the name is not a valid internet
   * host name (such as {@code redis_cache}, a typical compose service name).
   */
  static String host(URI uri) {
    if (uri.getHost() != null) {
      return uri.getHost();
    }
    String authority = uri.getRawAuthority();
    if (authority == null) {
      return "";
    }
    String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      return close < 0 ? "" : hostPort.substring(0, close + 1);
    }
    int colon = hostPort.indexOf(':');
    return colon < 0 ? hostPort : hostPort.substring(0, colon);
  }

  /** A comma-separated list of origins such as {@code https://play.example.com}. */
  List<String> origins(String name) {
    Optional<String> raw = text(name);
    if (raw.isEmpty()) {
      return List.of();
    }
    List<String> origins =
        Arrays.stream(raw.get().split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    for (String origin : origins) {
      if (!origin.equals("null") && !origin.matches("[A-Za-z][A-Za-z0-9+.\\-]*://[^/\\s]+")) {
        throw new ConfigException(
            name, "must list origins like https://example.com, got \"" + origin + "\"");
      }
    }
    return origins;
  }

  /** An RFC 6455 subprotocol name (an HTTP token). */
  Optional<String> token(String name) {
    Optional<String> raw = text(name);
    if (raw.isPresent() && !TOKEN.matcher(raw.get()).matches()) {
      throw new ConfigException(
          name, "must be a single subprotocol token, got \"" + raw.get() + "\"");
    }
    return raw;
  }
}
