package dev.switchboard.security;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Arrays;
import java.util.Collections;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a client puts its token: {@code Authorization: Bearer}, a {@code bearer.<token>} entry in
 * {@code Sec-WebSocket-Protocol} (browsers cannot set headers on a WebSocket), or {@code ?token=}.
 */
public final class TokenSource {

  /** Prefix of the subprotocol entry that carries a token. */
  public static final String PROTOCOL_PREFIX = "bearer.";

  private static final String BEARER = "bearer ";

  private TokenSource() {}

  public static Optional<String> of(HttpServletRequest request) {
    String authorization = request.getHeader("Authorization");
    if (authorization != null && authorization.toLowerCase(Locale.ROOT).startsWith(BEARER)) {
      return Optional.of(authorization.substring(BEARER.length()).trim());
    }
    for (String header : Collections.list(request.getHeaders("Sec-WebSocket-Protocol"))) {
      Optional<String> fromProtocol =
          Arrays.stream(header.split(","))
              .map(String::trim)
              .filter(p -> p.startsWith(PROTOCOL_PREFIX))
              .map(p -> p.substring(PROTOCOL_PREFIX.length()))
              .findFirst();
      if (fromProtocol.isPresent()) {
        return fromProtocol;
      }
    }
    return Optional.ofNullable(request.getParameter("token"));
  }
}
