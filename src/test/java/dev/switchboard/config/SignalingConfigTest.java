package dev.switchboard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SignalingConfigTest {

  /** Every environment variable the original Node.js server reads. */
  private static final List<String> ORIGINAL_VARIABLES =
      List.of(
          "NODE_ENV",
          "PORT",
          "WS_PORT",
          "HEALTH_PORT",
          "REDIS_URL",
          "ROOM_CAPACITY",
          "ROOM_TTL_SECONDS",
          "ROOM_ID_MAX_LENGTH",
          "MESSAGE_MAX_BYTES",
          "BACKPRESSURE_CLOSE_THRESHOLD_BYTES",
          "HEARTBEAT_INTERVAL_MS",
          "HTTP_IDLE_TIMEOUT_SECONDS",
          "HTTP_WORKER_THREADS",
          "RATE_LIMIT_CONN_PER_10S",
          "RATE_LIMIT_MESSAGES_PER_10S",
          "RATE_LIMIT_IP_MSGS_PER_10S",
          "RATE_LIMIT_ROOM_MSGS_PER_10S",
          "REQUIRE_WSS",
          "ALLOWED_ORIGINS",
          "SUBPROTOCOL",
          "LOG_LEVEL",
          "PRETTY_LOGS",
          "INSTANCE_ID",
          "DRAIN_TIMEOUT_MS",
          "SHUTDOWN_CLOSE_CODE",
          "CB_ERROR_THRESHOLD",
          "CB_OPEN_MS",
          "ENABLE_AUTH",
          "JWT_SECRET",
          "JWT_ALG",
          "JWT_ISSUER",
          "JWT_AUDIENCE",
          "JWKS_URL",
          "ROOMS_CLAIM",
          "HOST_SECRET",
          "HOST_SECRET_PREVIOUS",
          "SIGNALING_PUBLIC_URL");

  private static SignalingConfig config(Map<String, String> env) {
    return SignalingConfig.from(env::get);
  }

  private static SignalingConfig config(String name, String value) {
    return config(Map.of(name, value));
  }

  private static void assertRejected(Map<String, String> env, String variable) {
    assertThatThrownBy(() -> config(env))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.variable()).isEqualTo(variable);
              assertThat(e.getMessage()).startsWith(variable + " ");
              assertThat(e.getMessage()).doesNotContain("\n");
            });
  }

  @Test
  void defaultsAreTheOriginalServers() {
    SignalingConfig c = config(Map.of());
    assertThat(c.nodeEnv()).isEqualTo("development");
    assertThat(c.port()).isEqualTo(3002);
    assertThat(c.healthPort()).isEqualTo(8080);
    assertThat(c.redisUrl()).isEmpty();
    assertThat(c.usesRedis()).isFalse();
    assertThat(c.roomCapacity()).isEqualTo(2);
    assertThat(c.roomTtlSeconds()).isEqualTo(120);
    assertThat(c.roomIdMaxLength()).isEqualTo(64);
    assertThat(c.messageMaxBytes()).isEqualTo(262_144);
    assertThat(c.backpressureCloseThresholdBytes()).isEqualTo(5_242_880L);
    assertThat(c.heartbeatIntervalMs()).isEqualTo(30_000L);
    assertThat(c.rateLimitConnPer10s()).isEqualTo(20);
    assertThat(c.rateLimitMessagesPer10s()).isEqualTo(200);
    assertThat(c.rateLimitIpMsgsPer10s()).isEqualTo(400);
    assertThat(c.rateLimitRoomMsgsPer10s()).isEqualTo(800);
    assertThat(c.requireWss()).isFalse();
    assertThat(c.allowedOrigins()).isEmpty();
    assertThat(c.subprotocol()).isEmpty();
    assertThat(c.logLevel()).isEqualTo("info");
    assertThat(c.prettyLogs()).isFalse();
    assertThat(c.instanceId()).isNotBlank();
    assertThat(c.drainTimeoutMs()).isEqualTo(5_000L);
    assertThat(c.shutdownCloseCode()).isEqualTo(1012);
    assertThat(c.cbErrorThreshold()).isEqualTo(5);
    assertThat(c.cbOpenMs()).isEqualTo(10_000L);
    assertThat(c.enableAuth()).isFalse();
    assertThat(c.jwtSecret()).isEmpty();
    assertThat(c.jwtAlg()).isEqualTo("HS256");
    assertThat(c.jwtIssuer()).isEmpty();
    assertThat(c.jwtAudience()).isEmpty();
    assertThat(c.jwksUrl()).isEmpty();
    assertThat(c.roomsClaim()).isEqualTo("rooms");
    assertThat(c.hostSecret()).isEmpty();
    assertThat(c.hostSecretPrevious()).isEmpty();
    assertThat(c.signalingPublicUrl()).isEmpty();
    assertThat(c.separateHealthPort()).isTrue();
  }

  @Test
  void portFallsBackToWsPort() {
    assertThat(config("WS_PORT", "4000").port()).isEqualTo(4000);
  }

  @Test
  void portOverridesWsPort() {
    assertThat(config(Map.of("PORT", "5000", "WS_PORT", "4000")).port()).isEqualTo(5000);
    assertThat(config("PORT", "5000").port()).isEqualTo(5000);
  }

  @Test
  void healthPortEqualToPortIsNotSeparate() {
    assertThat(config(Map.of("PORT", "8080")).separateHealthPort()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "\t"})
  void blankValuesMeanDefault(String blank) {
    SignalingConfig c =
        config(
            Map.of(
                "PORT", blank,
                "WS_PORT", blank,
                "ROOM_CAPACITY", blank,
                "REQUIRE_WSS", blank,
                "REDIS_URL", blank,
                "JWT_ALG", blank,
                "ROOMS_CLAIM", blank,
                "ALLOWED_ORIGINS", blank,
                "SUBPROTOCOL", blank,
                "JWT_SECRET", blank));
    assertThat(c.port()).isEqualTo(3002);
    assertThat(c.roomCapacity()).isEqualTo(2);
    assertThat(c.requireWss()).isFalse();
    assertThat(c.redisUrl()).isEmpty();
    assertThat(c.jwtAlg()).isEqualTo("HS256");
    assertThat(c.roomsClaim()).isEqualTo("rooms");
    assertThat(c.allowedOrigins()).isEmpty();
    assertThat(c.subprotocol()).isEmpty();
    assertThat(c.jwtSecret()).isEmpty();
  }

  @Test
  void readsExplicitValues() {
    SignalingConfig c =
        config(
            Map.of(
                "ROOM_CAPACITY", "4",
                "REQUIRE_WSS", "true",
                "ALLOWED_ORIGINS", "https://a.example.com, http://localhost:3000",
                "SUBPROTOCOL", "switchboard.v1",
                "REDIS_URL", "redis://redis:6379/0",
                "LOG_LEVEL", "DEBUG",
                "BACKPRESSURE_CLOSE_THRESHOLD_BYTES", "100"));
    assertThat(c.roomCapacity()).isEqualTo(4);
    assertThat(c.requireWss()).isTrue();
    assertThat(c.allowedOrigins())
        .containsExactly("https://a.example.com", "http://localhost:3000");
    assertThat(c.subprotocol()).contains("switchboard.v1");
    assertThat(c.redisUrl()).contains(URI.create("redis://redis:6379/0"));
    assertThat(c.usesRedis()).isTrue();
    assertThat(c.logLevel()).isEqualTo("debug");
    assertThat(c.backpressureCloseThresholdBytes()).isEqualTo(100L);
  }

  @ParameterizedTest
  @CsvSource({
    "PORT, abc",
    "PORT, 3002.5",
    "PORT, -1",
    "PORT, 0",
    "PORT, 65536",
    "WS_PORT, 70000",
    "HEALTH_PORT, 99999",
    "ROOM_CAPACITY, two",
    "ROOM_CAPACITY, -2",
    "ROOM_CAPACITY, 0",
    "ROOM_TTL_SECONDS, -1",
    "ROOM_ID_MAX_LENGTH, 0",
    "MESSAGE_MAX_BYTES, 1e6",
    "MESSAGE_MAX_BYTES, 4194305",
    "BACKPRESSURE_CLOSE_THRESHOLD_BYTES, -5",
    "HEARTBEAT_INTERVAL_MS, 10",
    "HTTP_IDLE_TIMEOUT_SECONDS, 0",
    "HTTP_WORKER_THREADS, 1",
    "RATE_LIMIT_CONN_PER_10S, -1",
    "RATE_LIMIT_MESSAGES_PER_10S, x",
    "RATE_LIMIT_IP_MSGS_PER_10S, -400",
    "RATE_LIMIT_ROOM_MSGS_PER_10S, 99999999999",
    "DRAIN_TIMEOUT_MS, -1",
    "SHUTDOWN_CLOSE_CODE, 999",
    "SHUTDOWN_CLOSE_CODE, 5000",
    "CB_ERROR_THRESHOLD, 0",
    "CB_OPEN_MS, soon",
    "REQUIRE_WSS, maybe",
    "REQUIRE_WSS, 2",
    "PRETTY_LOGS, on",
    "ENABLE_AUTH, enabled",
    "LOG_LEVEL, verbose",
    "JWT_ALG, none",
    "JWT_ALG, hs256",
    "REDIS_URL, http://redis:6379",
    "REDIS_URL, redis-host:6379",
    "REDIS_URL, redis://",
    "JWKS_URL, ftp://keys.example.com/jwks.json",
    "SIGNALING_PUBLIC_URL, not a url",
    "ALLOWED_ORIGINS, example.com",
    "ALLOWED_ORIGINS, https://example.com/path",
    "'ALLOWED_ORIGINS', 'https://ok.example.com, *'",
    "SUBPROTOCOL, switchboard v1",
    "SUBPROTOCOL, 'a,b'",
  })
  void rejectsInvalidValuesNamingTheVariable(String variable, String value) {
    assertRejected(Map.of(variable, value), variable);
  }

  @Test
  void invalidWsPortIsReportedEvenWhenPortIsSet() {
    assertRejected(Map.of("PORT", "3000", "WS_PORT", "nope"), "WS_PORT");
  }

  @Test
  void authWithoutSecretNamesJwtSecret() {
    assertRejected(Map.of("ENABLE_AUTH", "true"), "JWT_SECRET");
    assertRejected(Map.of("ENABLE_AUTH", "true", "JWT_SECRET", "  "), "JWT_SECRET");
  }

  @Test
  void authWithAsymmetricAlgorithmNeedsJwks() {
    assertRejected(Map.of("ENABLE_AUTH", "true", "JWT_ALG", "RS256"), "JWKS_URL");
    assertThat(
            config(
                    Map.of(
                        "ENABLE_AUTH",
                        "true",
                        "JWT_ALG",
                        "RS256",
                        "JWKS_URL",
                        "https://id.example.com/jwks"))
                .enableAuth())
        .isTrue();
  }

  @Test
  void authWithSecretIsAccepted() {
    String secret = "s3cret-s3cret-s3cret-s3cret-s3cr";
    SignalingConfig c = config(Map.of("ENABLE_AUTH", "true", "JWT_SECRET", secret));
    assertThat(c.enableAuth()).isTrue();
    assertThat(c.jwtSecret()).contains(secret);
  }

  @Test
  void authRefusesAnHmacSecretShorterThanTheAlgorithm() {
    assertRejected(Map.of("ENABLE_AUTH", "true", "JWT_SECRET", "short"), "JWT_SECRET");
    assertRejected(
        Map.of("ENABLE_AUTH", "true", "JWT_ALG", "HS512", "JWT_SECRET", "x".repeat(48)),
        "JWT_SECRET");
  }

  @Test
  void authWithAnAsymmetricAlgorithmNeedsJwksOrAPublicKey() {
    assertRejected(Map.of("ENABLE_AUTH", "true", "JWT_ALG", "RS256"), "JWKS_URL");
    assertThat(
            config(Map.of("ENABLE_AUTH", "true", "JWT_ALG", "ES256", "JWT_PUBLIC_KEY", "pem"))
                .jwtPublicKey())
        .contains("pem");
  }

  @Test
  void describeMasksSecrets() {
    SignalingConfig c =
        config(
            Map.of(
                "JWT_SECRET", "jwt-s3cret",
                "HOST_SECRET", "host-s3cret",
                "HOST_SECRET_PREVIOUS", "old-s3cret",
                "REDIS_URL", "redis://user:hunter2@redis.internal:6379/0"));
    Map<String, String> described = c.describe();
    assertThat(described.values())
        .noneMatch(v -> v.contains("jwt-s3cret"))
        .noneMatch(v -> v.contains("host-s3cret"))
        .noneMatch(v -> v.contains("old-s3cret"))
        .noneMatch(v -> v.contains("hunter2"));
    assertThat(described.get("JWT_SECRET")).isNotEqualTo("(unset)");
    assertThat(described.get("HOST_SECRET")).isNotEqualTo("(unset)");
    assertThat(described.get("REDIS_URL")).contains("redis.internal:6379").contains("user");
  }

  @Test
  void describeMasksAPasswordOnlyRedisUrl() {
    Map<String, String> described =
        config("REDIS_URL", "rediss://:hunter2@cache.example.com:6380").describe();
    assertThat(described.get("REDIS_URL"))
        .doesNotContain("hunter2")
        .startsWith("rediss://")
        .contains("cache.example.com:6380");
  }

  @Test
  void invalidRedisUrlErrorDoesNotEchoThePassword() {
    for (String url : List.of("http://user:hunter2@redis:6379", "redis://user:hunter2@")) {
      assertThatThrownBy(() -> config("REDIS_URL", url))
          .as(url)
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("REDIS_URL ")
          .hasMessageNotContaining("hunter2");
    }
  }

  @Test
  void acceptsComposeServiceHostNamesAndMasksTheirPassword() {
    // An underscore in the host makes java.net.URI fall back to a registry-based authority with
    // no host and no user info; the URL is still usable and its password still secret.
    String described =
        config("REDIS_URL", "redis://user:hunter2@redis_cache:6379/0").describe().get("REDIS_URL");
    assertThat(described).isEqualTo("redis://user:****@redis_cache:6379/0");
  }

  @Test
  void describeListsEveryVariableOfTheOriginal() {
    assertThat(config(Map.of()).describe().keySet()).containsAll(ORIGINAL_VARIABLES);
  }

  @Test
  void describeShowsEffectiveValues() {
    Map<String, String> described =
        config(Map.of("WS_PORT", "4000", "ROOM_CAPACITY", "3")).describe();
    assertThat(described)
        .containsEntry("PORT", "4000")
        .containsEntry("ROOM_CAPACITY", "3")
        .containsEntry("JWT_SECRET", "(unset)");
  }

  @Test
  void allowedOriginsListIsImmutable() {
    SignalingConfig c = config("ALLOWED_ORIGINS", "https://a.example.com");
    assertThatThrownBy(() -> c.allowedOrigins().add("https://evil.example.com"))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
