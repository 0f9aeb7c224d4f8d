package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two instances on a real 3-node Redis Cluster (Debian's Redis 7) through {@code REDISSON_CONFIG}:
 * rooms work across instances, and a room's traffic uses sharded pub/sub on the node that owns its
 * slot instead of being broadcast to every node.
 */
class RedisClusterIT {

  private static RedisServer.Cluster cluster;
  private static ServerProcess a;
  private static ServerProcess b;

  @BeforeAll
  static void start() throws IOException {
    cluster = RedisServer.startCluster("cluster", 3);
    Path yaml = Path.of("target", "it-logs", "redisson-cluster.yaml");
    Files.createDirectories(yaml.getParent());
    Files.writeString(yaml, cluster.redissonYaml());
    List<ServerProcess> started =
        ServerProcess.startInstances(
            "cluster", Map.of("REDISSON_CONFIG", yaml.toAbsolutePath().toString()), "a", "b");
    a = started.get(0);
    b = started.get(1);
  }

  @AfterAll
  static void stop() {
    ServerProcess.stopAll(a, b);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void relaysAcrossInstancesOverShardedPubSubAndHoldsCapacity() {
    String room = SignalingIT.room();
    Pair pair = ScaleOutIT.across(a, b, room);
    pair.first().send("{\"type\":\"offer\",\"sdp\":\"over the cluster\"}");
    assertThat(pair.second().next()).isEqualTo("{\"type\":\"offer\",\"sdp\":\"over the cluster\"}");
    pair.second().send("{\"type\":\"answer\",\"sdp\":\"back\"}");
    assertThat(pair.first().next()).isEqualTo("{\"type\":\"answer\",\"sdp\":\"back\"}");

    for (String instance : List.of("cluster-a", "cluster-b")) {
      // The instance's one channel (RedisRoomBus.CHANNELS).
      String channel = "switchboard:bus:{" + instance + ":0}";
      List<Object> sharded = cluster.nodeForKey(channel).callList("PUBSUB", "SHARDNUMSUB", channel);
      assertThat(sharded.get(1)).as("%s listens on its channel's shard", instance).isEqualTo(1L);
      for (RedisServer node : cluster.nodes()) {
        assertThat(node.callList("PUBSUB", "NUMSUB", channel).get(1))
            .as("no classic (broadcast) subscription on %s", node)
            .isEqualTo(0L);
      }
    }

    TestClient third = TestClient.attempt(a.room(room), Map.of(), List.of());
    assertThat(third.awaitClose()).isEqualTo(new TestClient.Closed(1000, "Room is full", true));
    System.out.printf(
        "[it] redis cluster: 3 nodes, instance channels in slots %d and %d, relayed both ways over"
            + " sharded pub/sub%n",
        cluster.slot("switchboard:bus:{cluster-a:0}"),
        cluster.slot("switchboard:bus:{cluster-b:0}"));
  }
}
