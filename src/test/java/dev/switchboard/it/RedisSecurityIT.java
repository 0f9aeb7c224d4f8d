package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code REDIS_URL} with everything in it: {@code rediss://} (TLS, a self-signed certificate the
 * server's JVM trusts), an ACL user with a password, and a database index. Redis's own client list
 * shows how the instance connected.
 */
class RedisSecurityIT {

  private static final String USER = "switchboard";
  private static final String PASSWORD = "s3cret-for-tests";
  private static final int DATABASE = 2;

  private static RedisServer redis;
  private static ServerProcess server;
  private static int tlsPort;

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "it-logs", "redis-tls")).toAbsolutePath();
    Path key = dir.resolve("redis.key");
    Path cert = dir.resolve("redis.crt");
    Path trust = dir.resolve("trust.p12");
    Files.deleteIfExists(trust);
    run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        key.toString(),
        "-out",
        cert.toString());
    run(
        "keytool",
        "-importcert",
        "-noprompt",
        "-alias",
        "redis",
        "-file",
        cert.toString(),
        "-keystore",
        trust.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        "changeit");
    tlsPort = ServerProcess.freePort();
    redis =
        RedisServer.start(
            "tls",
            "--tls-port",
            String.valueOf(tlsPort),
            "--tls-cert-file",
            cert.toString(),
            "--tls-key-file",
            key.toString(),
            "--tls-ca-cert-file",
            cert.toString(),
            "--tls-auth-clients",
            "no");
    redis.call("ACL", "SETUSER", USER, "on", ">" + PASSWORD, "~*", "&*", "+@all");
    server =
        ServerProcess.start(
            "redis-tls",
            Map.of(
                "REDIS_URL",
                "rediss://" + USER + ":" + PASSWORD + "@127.0.0.1:" + tlsPort + "/" + DATABASE,
                "INSTANCE_ID",
                "tls",
                "JAVA_TOOL_OPTIONS",
                "-Djavax.net.ssl.trustStore="
                    + trust
                    + " -Djavax.net.ssl.trustStorePassword=changeit"
                    + " -Djavax.net.ssl.trustStoreType=PKCS12"));
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.stop();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void connectsOverTlsAsTheUserInTheUrlToItsDatabase() {
    Pair pair = Pair.join(server, SignalingIT.room());
    pair.first().send("{\"type\":\"offer\",\"sdp\":\"over tls\"}");
    assertThat(pair.second().next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"over tls\"}");

    String clients = redis.callString("CLIENT", "LIST");
    List<String> ours = clients.lines().filter(l -> l.contains(" user=" + USER + " ")).toList();
    assertThat(ours).as(clients).isNotEmpty();
    assertThat(ours)
        .allMatch(l -> l.contains("laddr=127.0.0.1:" + tlsPort + " "), "on the TLS port")
        .anyMatch(l -> l.contains(" db=" + DATABASE + " "));
    assertThat(redis.callString("ACL", "WHOAMI")).isEqualTo("default");
    System.out.printf(
        "[it] redis tls: %d connections as %s on TLS port %d, database %d%n",
        ours.size(), USER, tlsPort, DATABASE);
  }
}
