package dev.switchboard.config;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The whole configuration, typed and validated. Every setting keeps the environment variable name
 * and default of the original Node.js server, so a deployment's environment carries over unchanged.
 * The one deliberate difference: {@code REDIS_URL} has no default, and when it is unset the server
 * keeps rooms in memory.
 *
 * <p>Pure Java on purpose: the uber-jar's launcher validates it before Payara boots, and the WAR
 * builds it from MicroProfile Config.
 */
public record SignalingConfig(
    String nodeEnv,
    int port,
    int wsPort,
    int healthPort,
    Optional<URI> redisUrl,
    Optional<String> redissonConfig,
    long instanceTtlMs,
    int roomCapacity,
    int roomTtlSeconds,
    int roomIdMaxLength,
    int messageMaxBytes,
    long backpressureCloseThresholdBytes,
    long heartbeatIntervalMs,
    int httpIdleTimeoutSeconds,
    int httpWorkerThreads,
    boolean benchBaselineEndpoint,
    int rateLimitConnPer10s,
    int rateLimitMessagesPer10s,
    int rateLimitIpMsgsPer10s,
    int rateLimitRoomMsgsPer10s,
    boolean requireWss,
    TrustedProxies trustProxy,
    List<String> allowedOrigins,
    Optional<String> subprotocol,
    String logLevel,
    boolean prettyLogs,
    String instanceId,
    long drainTimeoutMs,
    int shutdownCloseCode,
    int cbErrorThreshold,
    long cbOpenMs,
    boolean enableAuth,
    Optional<String> jwtSecret,
    String jwtAlg,
    Optional<String> jwtIssuer,
    Optional<String> jwtAudience,
    Optional<URI> jwksUrl,
    Optional<String> jwtPublicKey,
    long jwksCacheTtlSeconds,
    int jwtClockSkewSeconds,
    String roomsClaim,
    boolean jwtAllowAnyRoom,
    Optional<String> hostSecret,
    Optional<String> hostSecretPrevious,
    Optional<URI> signalingPublicUrl) {

  /** Tyrus's incoming buffer on servlet containers is 4 MiB; a larger frame could not be read. */
  static final int MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

  static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error", "fatal");
  static final Set<String> JWT_ALGS =
      Set.of("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512");

  public SignalingConfig {
    allowedOrigins = List.copyOf(allowedOrigins);
  }

  /** Reads every setting through {@code lookup} (a variable name to its value, or null). */
  public static SignalingConfig from(Function<String, String> lookup) {
    ConfigReader r = new ConfigReader(lookup);
    int wsPort = r.port("WS_PORT", 3002);
    int port = r.port("PORT", wsPort);
    boolean enableAuth = r.bool("ENABLE_AUTH", false);
    String jwtAlg = r.oneOf("JWT_ALG", "HS256", JWT_ALGS, false);
    Optional<String> jwtSecret = r.text("JWT_SECRET");
    Optional<URI> jwksUrl = r.url("JWKS_URL", Set.of("http", "https"));
    Optional<String> jwtPublicKey = r.text("JWT_PUBLIC_KEY");
    if (enableAuth && jwtAlg.startsWith("HS")) {
      if (jwtSecret.isEmpty()) {
        throw new ConfigException(
            "JWT_SECRET", "is required when ENABLE_AUTH=true and JWT_ALG=" + jwtAlg);
      }
      int minBytes = Integer.parseInt(jwtAlg.substring(2)) / 8;
      if (jwtSecret.get().getBytes(StandardCharsets.UTF_8).length < minBytes) {
        throw new ConfigException(
            "JWT_SECRET", "must be at least " + minBytes + " bytes for " + jwtAlg);
      }
    }
    if (enableAuth && !jwtAlg.startsWith("HS") && jwksUrl.isEmpty() && jwtPublicKey.isEmpty()) {
      throw new ConfigException(
          "JWKS_URL", "or JWT_PUBLIC_KEY is required when ENABLE_AUTH=true and JWT_ALG=" + jwtAlg);
    }
    int shutdownCloseCode = r.integer("SHUTDOWN_CLOSE_CODE", 1012, 1000, 4999);
    return new SignalingConfig(
        r.text("NODE_ENV").orElse("development"),
        port,
        wsPort,
        r.port("HEALTH_PORT", 8080),
        r.url("REDIS_URL", Set.of("redis", "rediss")),
        redissonConfig(r),
        r.longValue("INSTANCE_TTL_MS", 10_000L, 1_000L, 300_000L),
        r.integer("ROOM_CAPACITY", 2, 1, 10_000),
        r.integer("ROOM_TTL_SECONDS", 120, 0, Integer.MAX_VALUE),
        r.integer("ROOM_ID_MAX_LENGTH", 64, 1, 1024),
        r.integer("MESSAGE_MAX_BYTES", 262_144, 64, MAX_MESSAGE_BYTES),
        r.longValue("BACKPRESSURE_CLOSE_THRESHOLD_BYTES", 5_242_880L, 1, Long.MAX_VALUE),
        r.longValue("HEARTBEAT_INTERVAL_MS", 30_000L, 100, 86_400_000L),
        r.integer("HTTP_IDLE_TIMEOUT_SECONDS", 5, 1, 3_600),
        r.integer("HTTP_WORKER_THREADS", 8, 2, 1_000),
        r.bool("BENCH_BASELINE_ENDPOINT", false),
        r.integer("RATE_LIMIT_CONN_PER_10S", 20, 0, Integer.MAX_VALUE),
        r.integer("RATE_LIMIT_MESSAGES_PER_10S", 200, 0, Integer.MAX_VALUE),
        r.integer("RATE_LIMIT_IP_MSGS_PER_10S", 400, 0, Integer.MAX_VALUE),
        r.integer("RATE_LIMIT_ROOM_MSGS_PER_10S", 800, 0, Integer.MAX_VALUE),
        r.bool("REQUIRE_WSS", false),
        TrustedProxies.parse("TRUST_PROXY", r.text("TRUST_PROXY")),
        r.origins("ALLOWED_ORIGINS"),
        r.token("SUBPROTOCOL"),
        r.oneOf("LOG_LEVEL", "info", LOG_LEVELS, true),
        r.bool("PRETTY_LOGS", false),
        instanceId(r),
        r.longValue("DRAIN_TIMEOUT_MS", 5_000L, 0, 3_600_000L),
        shutdownCloseCode,
        r.integer("CB_ERROR_THRESHOLD", 5, 1, Integer.MAX_VALUE),
        r.longValue("CB_OPEN_MS", 10_000L, 1, 3_600_000L),
        enableAuth,
        jwtSecret,
        jwtAlg,
        r.text("JWT_ISSUER"),
        r.text("JWT_AUDIENCE"),
        jwksUrl,
        jwtPublicKey,
        r.longValue("JWKS_CACHE_TTL", 600, 60, 86_400),
        r.integer("JWT_CLOCK_SKEW_SECONDS", 30, 0, 600),
        r.text("ROOMS_CLAIM").orElse("rooms"),
        r.bool("JWT_ALLOW_ANY_ROOM", false),
        r.text("HOST_SECRET"),
        r.text("HOST_SECRET_PREVIOUS"),
        r.url("SIGNALING_PUBLIC_URL", Set.of("ws", "wss", "http", "https")));
  }

  /** {@code INSTANCE_ID}: it names Redis keys and tags log lines, so it is kept to a safe set. */
  private static String instanceId(ConfigReader r) {
    Optional<String> id = r.text("INSTANCE_ID");
    if (id.isPresent() && !id.get().matches("[A-Za-z0-9_.:-]{1,128}")) {
      throw new ConfigException(
          "INSTANCE_ID", "must be 1-128 characters of letters, digits, '_', '.', ':' or '-'");
    }
    return id.orElseGet(InstanceIds::generate);
  }

  /** {@code REDISSON_CONFIG}: a Redisson YAML file (Sentinel, Cluster), checked to be readable. */
  private static Optional<String> redissonConfig(ConfigReader r) {
    Optional<String> path = r.text("REDISSON_CONFIG");
    if (path.isPresent() && !java.nio.file.Files.isReadable(java.nio.file.Path.of(path.get()))) {
      throw new ConfigException("REDISSON_CONFIG", "names no readable file: " + path.get());
    }
    return path;
  }

  /** Rooms live in Redis when {@code REDIS_URL} or {@code REDISSON_CONFIG} is set. */
  public boolean usesRedis() {
    return redisUrl.isPresent() || redissonConfig.isPresent();
  }

  /** A separate health listener is opened only when it does not collide with the main port. */
  public boolean separateHealthPort() {
    return healthPort != port;
  }

  /** The effective settings by variable name, secrets and passwords masked, for the start log. */
  public Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("NODE_ENV", nodeEnv);
    m.put("PORT", String.valueOf(port));
    m.put("WS_PORT", String.valueOf(wsPort));
    m.put("HEALTH_PORT", String.valueOf(healthPort));
    m.put(
        "REDIS_URL",
        redisUrl.map(u -> maskUserInfo(u.toString())).orElse("(unset: in-memory rooms)"));
    m.put("REDISSON_CONFIG", redissonConfig.orElse("(none)"));
    m.put("INSTANCE_TTL_MS", String.valueOf(instanceTtlMs));
    m.put("ROOM_CAPACITY", String.valueOf(roomCapacity));
    m.put("ROOM_TTL_SECONDS", String.valueOf(roomTtlSeconds));
    m.put("ROOM_ID_MAX_LENGTH", String.valueOf(roomIdMaxLength));
    m.put("MESSAGE_MAX_BYTES", String.valueOf(messageMaxBytes));
    m.put("BACKPRESSURE_CLOSE_THRESHOLD_BYTES", String.valueOf(backpressureCloseThresholdBytes));
    m.put("HEARTBEAT_INTERVAL_MS", String.valueOf(heartbeatIntervalMs));
    m.put("HTTP_IDLE_TIMEOUT_SECONDS", String.valueOf(httpIdleTimeoutSeconds));
    m.put("HTTP_WORKER_THREADS", String.valueOf(httpWorkerThreads));
    m.put("BENCH_BASELINE_ENDPOINT", String.valueOf(benchBaselineEndpoint));
    m.put("RATE_LIMIT_CONN_PER_10S", String.valueOf(rateLimitConnPer10s));
    m.put("RATE_LIMIT_MESSAGES_PER_10S", String.valueOf(rateLimitMessagesPer10s));
    m.put("RATE_LIMIT_IP_MSGS_PER_10S", String.valueOf(rateLimitIpMsgsPer10s));
    m.put("RATE_LIMIT_ROOM_MSGS_PER_10S", String.valueOf(rateLimitRoomMsgsPer10s));
    m.put("REQUIRE_WSS", String.valueOf(requireWss));
    m.put("TRUST_PROXY", trustProxy.describe());
    m.put("ALLOWED_ORIGINS", allowedOrigins.isEmpty() ? "(all)" : String.join(",", allowedOrigins));
    m.put("SUBPROTOCOL", subprotocol.orElse("(none)"));
    m.put("LOG_LEVEL", logLevel);
    m.put("PRETTY_LOGS", String.valueOf(prettyLogs));
    m.put("INSTANCE_ID", instanceId);
    m.put("DRAIN_TIMEOUT_MS", String.valueOf(drainTimeoutMs));
    m.put("SHUTDOWN_CLOSE_CODE", String.valueOf(shutdownCloseCode));
    m.put("CB_ERROR_THRESHOLD", String.valueOf(cbErrorThreshold));
    m.put("CB_OPEN_MS", String.valueOf(cbOpenMs));
    m.put("ENABLE_AUTH", String.valueOf(enableAuth));
    m.put("JWT_SECRET", mask(jwtSecret));
    m.put("JWT_ALG", jwtAlg);
    m.put("JWT_ISSUER", jwtIssuer.orElse("(none)"));
    m.put("JWT_AUDIENCE", jwtAudience.orElse("(none)"));
    m.put("JWKS_URL", jwksUrl.map(URI::toString).orElse("(none)"));
    m.put("JWT_PUBLIC_KEY", jwtPublicKey.map(k -> "(set)").orElse("(unset)"));
    m.put("JWKS_CACHE_TTL", String.valueOf(jwksCacheTtlSeconds));
    m.put("JWT_CLOCK_SKEW_SECONDS", String.valueOf(jwtClockSkewSeconds));
    m.put("ROOMS_CLAIM", roomsClaim);
    m.put("JWT_ALLOW_ANY_ROOM", String.valueOf(jwtAllowAnyRoom));
    m.put("HOST_SECRET", mask(hostSecret));
    m.put("HOST_SECRET_PREVIOUS", mask(hostSecretPrevious));
    m.put("SIGNALING_PUBLIC_URL", signalingPublicUrl.map(URI::toString).orElse("(none)"));
    return m;
  }

  private static String mask(Optional<String> secret) {
    return secret.map(s -> "****").orElse("(unset)");
  }

  /**
   * The URL with the password (or a lone user-info token) replaced by {@code ****}. Works on the
   * raw text, since {@link URI} parses no user info from authorities it cannot read as a host (an
   * underscore in a compose service name is enough).
   */
  static String maskUserInfo(String url) {
    int schemeEnd = url.indexOf("://");
    if (schemeEnd < 0) {
      return url;
    }
    int authorityStart = schemeEnd + 3;
    int authorityEnd = authorityStart;
    while (authorityEnd < url.length() && "/?#".indexOf(url.charAt(authorityEnd)) < 0) {
      authorityEnd++;
    }
    int at = url.lastIndexOf('@', authorityEnd - 1);
    if (at < authorityStart) {
      return url;
    }
    String userInfo = url.substring(authorityStart, at);
    int colon = userInfo.indexOf(':');
    String masked = colon < 0 ? "****" : userInfo.substring(0, colon) + ":****";
    return url.substring(0, authorityStart) + masked + url.substring(at);
  }
}
