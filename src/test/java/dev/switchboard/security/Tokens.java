package dev.switchboard.security;

import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.keys.HmacKey;
import org.jose4j.lang.JoseException;

/** Signs test tokens with jose4j (the library smallrye-jwt verifies with). */
public final class Tokens {

  public static final String SECRET = "test-secret-that-is-at-least-32-bytes-long!";
  public static final String ISSUER = "https://issuer.example";
  public static final String AUDIENCE = "switchboard";

  private Tokens() {}

  /** Claims for a token valid now for {@code rooms}, adjustable by {@code edit}. */
  public static JwtClaims claims(List<String> rooms, Consumer<JwtClaims> edit) {
    JwtClaims claims = new JwtClaims();
    claims.setIssuer(ISSUER);
    claims.setAudience(AUDIENCE);
    claims.setSubject("player-1");
    claims.setIssuedAtToNow();
    claims.setExpirationTimeMinutesInTheFuture(10);
    claims.setNotBeforeMinutesInThePast(1);
    if (rooms != null) {
      claims.setStringListClaim("rooms", rooms);
    }
    edit.accept(claims);
    return claims;
  }

  public static String hs256(JwtClaims claims) {
    return sign(claims, new HmacKey(SECRET.getBytes()), AlgorithmIdentifiers.HMAC_SHA256, null);
  }

  public static String hs256(List<String> rooms) {
    return hs256(claims(rooms, c -> {}));
  }

  public static String sign(JwtClaims claims, Key key, String alg, String kid) {
    JsonWebSignature jws = new JsonWebSignature();
    jws.setPayload(claims.toJson());
    jws.setAlgorithmHeaderValue(alg);
    if (key != null) {
      jws.setKey(key);
    } else {
      jws.setAlgorithmConstraints(org.jose4j.jwa.AlgorithmConstraints.NO_CONSTRAINTS);
    }
    if (kid != null) {
      jws.setKeyIdHeaderValue(kid);
    }
    try {
      return jws.getCompactSerialization();
    } catch (JoseException e) {
      throw new IllegalStateException(e);
    }
  }

  public static NumericDate inSeconds(long seconds) {
    NumericDate date = NumericDate.now();
    date.addSeconds(seconds);
    return date;
  }

  public static KeyPair rsa() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeyPair ec() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String pem(PublicKey key) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
        + "\n-----END PUBLIC KEY-----";
  }
}
