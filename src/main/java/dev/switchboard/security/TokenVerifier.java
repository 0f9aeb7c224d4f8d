package dev.switchboard.security;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.room.RoomId;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.ParseException;
import jakarta.json.JsonArray;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.crypto.spec.SecretKeySpec;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Checks a connection's JWT with smallrye-jwt: signature with exactly the configured algorithm (so
 * {@code alg: none} and HS/RS confusion fail), issuer, audience, expiry and not-before with a small
 * clock skew, then the rooms claim. Keys come from {@code JWT_SECRET}, {@code JWT_PUBLIC_KEY} or
 * {@code JWKS_URL} (cached for {@code JWKS_CACHE_TTL}, fetched again when a token names an unknown
 * key id).
 *
 * <p>Checked once, at the handshake: a token that expires during a long session does not cut it,
 * since a streaming session must not drop at an arbitrary moment; a client reconnecting needs a
 * fresh token.
 */
public final class TokenVerifier {

  /** The outcome of one check. */
  public enum Verdict {
    ALLOWED,
    /** No token, or one that fails verification: HTTP 401. */
    UNAUTHORIZED,
    /** A valid token that does not grant this room: HTTP 403. */
    FORBIDDEN
  }

  /** A rooms-claim entry that grants every room. */
  static final String ANY_ROOM = "*";

  private static final int SECONDS_PER_MINUTE = 60;

  private final DefaultJWTParser parser;
  private final String roomsClaim;
  private final boolean allowAnyRoom;

  public TokenVerifier(SignalingConfig config) {
    this.parser = new DefaultJWTParser(contextInfo(config));
    this.roomsClaim = config.roomsClaim();
    this.allowAnyRoom = config.jwtAllowAnyRoom();
  }

  static JWTAuthContextInfo contextInfo(SignalingConfig config) {
    JWTAuthContextInfo info = new JWTAuthContextInfo();
    String alg = config.jwtAlg();
    info.setSignatureAlgorithm(Set.of(SignatureAlgorithm.fromAlgorithm(alg)));
    if (alg.startsWith("HS")) {
      byte[] secret = config.jwtSecret().orElseThrow().getBytes(StandardCharsets.UTF_8);
      info.setSecretVerificationKey(new SecretKeySpec(secret, "HmacSHA" + alg.substring(2)));
    } else if (config.jwtPublicKey().isPresent()) {
      info.setPublicKeyContent(config.jwtPublicKey().get());
    } else {
      info.setPublicKeyLocation(config.jwksUrl().orElseThrow().toString());
      int minutes = (int) Math.max(1, config.jwksCacheTtlSeconds() / SECONDS_PER_MINUTE);
      info.setJwksRefreshInterval(minutes);
      // An unknown kid fetches the key set again at once (jose4j, under smallrye-jwt, allows that
      // at most every 300 ms; TokenVerifierTest rotates a key over http).
      info.setForcedJwksRefreshInterval(0);
    }
    config.jwtIssuer().ifPresent(info::setIssuedBy);
    config.jwtAudience().ifPresent(aud -> info.setExpectedAudience(Set.of(aud)));
    info.setClockSkew(config.jwtClockSkewSeconds());
    info.setExpGracePeriodSecs(config.jwtClockSkewSeconds());
    info.setRequireNamedPrincipal(false); // signaling tokens need not name a user
    return info;
  }

  /** Verifies {@code token} (null when the client sent none) for a connection to {@code room}. */
  public Verdict check(String token, RoomId room) {
    if (token == null || token.isBlank()) {
      return Verdict.UNAUTHORIZED;
    }
    JsonWebToken jwt;
    try {
      jwt = parser.parse(token);
    } catch (ParseException | RuntimeException e) {
      return Verdict.UNAUTHORIZED; // the reason stays out of logs: it can quote the token
    }
    if (!jwt.containsClaim(roomsClaim)) {
      return allowAnyRoom ? Verdict.ALLOWED : Verdict.FORBIDDEN;
    }
    List<String> rooms = rooms(jwt.getClaim(roomsClaim));
    return rooms.contains(room.value()) || rooms.contains(ANY_ROOM)
        ? Verdict.ALLOWED
        : Verdict.FORBIDDEN;
  }

  /** The rooms claim as strings: a JSON array, a collection, or a space/comma separated string. */
  static List<String> rooms(Object claim) {
    if (claim instanceof JsonArray array) {
      return array.stream()
          .filter(v -> v.getValueType() == JsonValue.ValueType.STRING)
          .map(v -> ((JsonString) v).getString())
          .toList();
    }
    if (claim instanceof Collection<?> collection) {
      return collection.stream().map(String::valueOf).toList();
    }
    if (claim instanceof JsonString string) {
      return split(string.getString());
    }
    if (claim instanceof String string) {
      return split(string);
    }
    return List.of();
  }

  private static List<String> split(String value) {
    return Arrays.stream(value.split("[\\s,]+"))
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toList());
  }
}
