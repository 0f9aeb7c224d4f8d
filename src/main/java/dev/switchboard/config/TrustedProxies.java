package dev.switchboard.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code TRUST_PROXY}: which peers may tell the server who the client is through {@code Forwarded}
 * or {@code X-Forwarded-For}. {@code false} (the default): none, the client is the socket's peer;
 * {@code true}: any peer; otherwise a comma-separated list of addresses and CIDR networks ({@code
 * 10.0.0.0/8, 192.0.2.7, fd00::/8}).
 *
 * <p>Hand-written matching (a prefix comparison of address bytes): the JDK has no CIDR type and
 * none of the project's libraries offers one for IPv4 and IPv6 alike.
 */
public record TrustedProxies(boolean all, List<Network> networks) {

  public static final TrustedProxies NONE = new TrustedProxies(false, List.of());

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  /** One address block: the first {@code prefix} bits of {@code bytes}. */
  public record Network(byte[] bytes, int prefix) {

    boolean contains(byte[] address) {
      if (address.length != bytes.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != bytes[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xFF << (8 - rest)) & 0xFF;
      return (address[full] & mask) == (bytes[full] & mask);
    }
  }

  static TrustedProxies parse(String name, Optional<String> raw) {
    if (raw.isEmpty() || raw.get().isBlank() || raw.get().trim().equalsIgnoreCase("false")) {
      return NONE;
    }
    if (raw.get().trim().equalsIgnoreCase("true")) {
      return new TrustedProxies(true, List.of());
    }
    List<Network> networks = new ArrayList<>();
    for (String entry : raw.get().split(",")) {
      String e = entry.trim();
      if (e.isEmpty()) {
        continue;
      }
      int slash = e.indexOf('/');
      String host = slash < 0 ? e : e.substring(0, slash);
      Optional<byte[]> bytes = literal(host);
      if (bytes.isEmpty()) {
        throw new ConfigException(
            name,
            "must be true, false or a list of IP addresses and CIDR networks, got \"" + e + "\"");
      }
      int max = bytes.get().length * 8;
      int prefix = max;
      if (slash >= 0) {
        try {
          prefix = Integer.parseInt(e.substring(slash + 1));
        } catch (NumberFormatException nfe) {
          prefix = -1;
        }
        if (prefix < 0 || prefix > max) {
          throw new ConfigException(name, "has an invalid network prefix in \"" + e + "\"");
        }
      }
      networks.add(new Network(bytes.get(), prefix));
    }
    return new TrustedProxies(false, List.copyOf(networks));
  }

  /** The bytes of an IP literal; empty for anything else (never a DNS lookup). */
  public static Optional<byte[]> literal(String text) {
    String s =
        text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    if (!IPV4.matcher(s).matches() && !IPV6.matcher(s).matches()) {
      return Optional.empty();
    }
    try {
      return Optional.of(InetAddress.getByName(s).getAddress());
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  public boolean any() {
    return all || !networks.isEmpty();
  }

  /** Whether a peer at {@code address} (an IP literal) may name the client. */
  public boolean trusts(String address) {
    if (all) {
      return true;
    }
    Optional<byte[]> bytes = literal(address);
    return bytes.isPresent() && networks.stream().anyMatch(n -> n.contains(bytes.get()));
  }

  String describe() {
    if (all) {
      return "true (any peer)";
    }
    return networks.isEmpty() ? "false" : networks.size() + " networks";
  }
}
