package dev.switchboard.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.config.SignalingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.redisson.config.BaseConfig;
import org.redisson.config.Config;

class ClusterProducerTest {

  @TempDir Path dir;

  private static Config fromEnv(Map<String, String> env) {
    return ClusterProducer.redissonConfig(SignalingConfig.from(env::get));
  }

  @Test
  void redisUrlTurnsRedissonsPingOffAndDetectsDeadConnectionsByTcpKeepalive() {
    BaseConfig<?> server =
        ClusterProducer.serverConfig(fromEnv(Map.of("REDIS_URL", "redis://127.0.0.1:6390")));

    // A pinged subscription connection loses a pub/sub message now and then (ClusterProducer).
    assertThat(server.getPingConnectionInterval()).isZero();
    assertThat(server.isKeepAlive()).isTrue();
    assertThat(server.getTcpKeepAliveIdle()).isEqualTo(ClusterProducer.TCP_KEEPALIVE_IDLE_S);
    assertThat(server.getTcpKeepAliveInterval())
        .isEqualTo(ClusterProducer.TCP_KEEPALIVE_INTERVAL_S);
    assertThat(server.getTcpKeepAliveCount()).isEqualTo(ClusterProducer.TCP_KEEPALIVE_PROBES);
  }

  @Test
  void readsThePingIntervalOfEachServerModeInARedissonConfigFile() throws IOException {
    assertThat(pingOf("singleServerConfig:\n  address: \"redis://127.0.0.1:6390\"\n"))
        .as("Redisson's default when the file names none")
        .isEqualTo(30_000);
    assertThat(
            pingOf(
                "singleServerConfig:\n"
                    + "  address: \"redis://127.0.0.1:6390\"\n"
                    + "  pingConnectionInterval: 0\n"))
        .isZero();
    assertThat(
            pingOf(
                "clusterServersConfig:\n"
                    + "  nodeAddresses: [\"redis://127.0.0.1:7000\"]\n"
                    + "  pingConnectionInterval: 2500\n"))
        .isEqualTo(2_500);
    assertThat(
            pingOf(
                "sentinelServersConfig:\n"
                    + "  masterName: \"mymaster\"\n"
                    + "  sentinelAddresses: [\"redis://127.0.0.1:26379\"]\n"
                    + "  pingConnectionInterval: 700\n"))
        .isEqualTo(700);
  }

  @Test
  void warnsAtStartWhenARedissonConfigFilePingsItsConnections() throws IOException {
    List<String> warnings = new ArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            if (record.getLevel() == Level.WARNING) {
              warnings.add(record.getMessage());
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger log = Logger.getLogger(ClusterProducer.class.getName());
    log.addHandler(capture);
    try {
      pingOf("singleServerConfig:\n  address: \"redis://127.0.0.1:6390\"\n");
      assertThat(warnings).singleElement().asString().contains("every 30000 ms");
      warnings.clear();
      pingOf(
          "singleServerConfig:\n"
              + "  address: \"redis://127.0.0.1:6390\"\n"
              + "  pingConnectionInterval: 0\n");
      assertThat(warnings).isEmpty();
    } finally {
      log.removeHandler(capture);
    }
  }

  private int pingOf(String yaml) throws IOException {
    Path file = Files.writeString(dir.resolve("redisson-" + yaml.hashCode() + ".yaml"), yaml);
    return ClusterProducer.pingInterval(fromEnv(Map.of("REDISSON_CONFIG", file.toString())));
  }
}
