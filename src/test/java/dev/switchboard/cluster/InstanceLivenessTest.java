package dev.switchboard.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.redisson.api.NodeType;
import org.redisson.connection.ConnectionListener;

class InstanceLivenessTest {

  private static final InetSocketAddress REDIS = new InetSocketAddress("127.0.0.1", 6379);

  @Test
  void aListenerFromTheRedissonConfigurationStillHearsEveryEventWithItsNodeType() {
    List<String> heard = new ArrayList<>();
    ConnectionListener configured =
        new ConnectionListener() {
          @Override
          public void onConnect(InetSocketAddress address, NodeType type) {
            heard.add("connect " + address.getPort() + " " + type);
          }

          @Override
          public void onDisconnect(InetSocketAddress address, NodeType type) {
            heard.add("disconnect " + address.getPort() + " " + type);
          }

          @Override
          public void onConnect(InetSocketAddress address) {
            heard.add("deprecated connect");
          }

          @Override
          public void onDisconnect(InetSocketAddress address) {
            heard.add("deprecated disconnect");
          }
        };
    ConnectionListener listener = InstanceLiveness.listener(configured, () -> null);

    listener.onConnect(REDIS, NodeType.MASTER);
    listener.onDisconnect(REDIS, NodeType.MASTER);

    assertThat(heard).containsExactly("connect 6379 MASTER", "disconnect 6379 MASTER");
  }

  @Test
  void withoutAConfiguredListenerOrALivenessYetEventsAreIgnored() {
    ConnectionListener listener = InstanceLiveness.listener(null, () -> null);

    assertThatCode(
            () -> {
              listener.onConnect(REDIS, NodeType.MASTER);
              listener.onDisconnect(REDIS, NodeType.MASTER);
            })
        .doesNotThrowAnyException();
  }
}
