package dev.switchboard.relay;

import dev.switchboard.config.TrustedProxies;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Who the client is: the socket's peer, unless that peer is a trusted proxy ({@code TRUST_PROXY});
 * then the chain a proxy reports, {@code Forwarded: for=} (RFC 7239) or else {@code
 * X-Forwarded-For}, read from the right, skipping trusted proxies: the first address no trusted
 * proxy vouches for is the client. A client cannot pose as another by sending the headers itself:
 * its own entries sit left of those its trusted proxies appended.
 */
final class ForwardedClient {

  private static final int MAX_TOKEN = 100;

  private ForwardedClient() {}

  static String of(
      String peer, TrustedProxies trusted, List<String> forwarded, List<String> xForwardedFor) {
    if (!trusted.any() || !trusted.trusts(peer)) {
      return peer;
    }
    List<String> chain = forwarded.isEmpty() ? split(xForwardedFor) : forwardedFor(forwarded);
    for (int i = chain.size() - 1; i >= 0; i--) {
      String hop = chain.get(i);
      if (!trusted.trusts(hop)) {
        return hop;
      }
    }
    return chain.isEmpty() ? peer : chain.get(0);
  }

  private static List<String> split(List<String> headers) {
    List<String> hops = new ArrayList<>();
    for (String header : headers) {
      for (String part : header.split(",")) {
        String hop = clean(part);
        if (!hop.isEmpty()) {
          hops.add(hop);
        }
      }
    }
    return hops;
  }

  /** The {@code for=} of each element of {@code Forwarded} headers, in order. */
  private static List<String> forwardedFor(List<String> headers) {
    List<String> hops = new ArrayList<>();
    for (String header : headers) {
      for (String element : header.split(",")) {
        for (String pair : element.split(";")) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("for")) {
            String hop = clean(pair.substring(eq + 1));
            if (!hop.isEmpty()) {
              hops.add(hop);
            }
          }
        }
      }
    }
    return hops;
  }

  /**
   * Strips quotes, IPv6 brackets and a port: {@code "[2001:db8::1]:4711"} to {@code 2001:db8::1}.
   */
  static String clean(String raw) {
    String s = raw.trim();
    if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
      s = s.substring(1, s.length() - 1).trim();
    }
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      s = close > 0 ? s.substring(1, close) : s.substring(1);
    } else if (s.indexOf(':') > 0 && s.indexOf(':') == s.lastIndexOf(':')) {
      s = s.substring(0, s.indexOf(':')); // IPv4 with a port
    }
    return s.length() > MAX_TOKEN ? s.substring(0, MAX_TOKEN) : s;
  }
}
