package dev.switchboard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.Test;

/**
 * The registry MBean, seen from a JMX console: live counts, and a drain that turns readiness 503,
 * tells clients to reconnect, closes them with 1012 and refuses new ones, without exiting.
 */
class JmxDrainIT {

  @Test
  void drainFromJmxTakesTheInstanceOutOfServiceWithoutStoppingIt() throws Exception {
    int jmxPort = ServerProcess.freePort();
    ServerProcess server =
        ServerProcess.start(
            "jmx",
            Map.of(
                "JDK_JAVA_OPTIONS",
                "-Dcom.sun.management.jmxremote.port="
                    + jmxPort
                    + " -Dcom.sun.management.jmxremote.rmi.port="
                    + jmxPort
                    + " -Dcom.sun.management.jmxremote.authenticate=false"
                    + " -Dcom.sun.management.jmxremote.ssl=false"
                    + " -Dcom.sun.management.jmxremote.host=127.0.0.1"
                    + " -Djava.rmi.server.hostname=127.0.0.1"));
    try {
      Pair pair = Pair.join(server, SignalingIT.room());
      JMXServiceURL url =
          new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + jmxPort + "/jmxrmi");
      try (JMXConnector jmx = JMXConnectorFactory.connect(url)) {
        MBeanServerConnection mbeans = jmx.getMBeanServerConnection();
        ObjectName registry = new ObjectName("dev.switchboard:type=Registry");
        assertThat((Integer) mbeans.getAttribute(registry, "Connections")).isEqualTo(2);
        assertThat((Integer) mbeans.getAttribute(registry, "Rooms")).isEqualTo(1);
        assertThat((Boolean) mbeans.getAttribute(registry, "Ready")).isTrue();

        mbeans.invoke(registry, "drain", new Object[0], new String[0]);

        assertThat((Boolean) mbeans.getAttribute(registry, "Draining")).isTrue();
        assertThat((Integer) mbeans.getAttribute(registry, "Connections")).isZero();
      }
      for (TestClient client : List.of(pair.first(), pair.second())) {
        assertThat(client.awaitClose())
            .isEqualTo(new TestClient.Closed(1012, "Server draining", true));
      }
      assertThat(ServerProcess.get(server.http("/readyz")).statusCode()).isEqualTo(503);
      assertThat(ServerProcess.get(server.http("/readyz")).body()).isEqualTo("not-ready");
      assertThat(ServerProcess.get(server.http("/healthz")).statusCode()).isEqualTo(200);
      TestClient late = TestClient.attempt(server.room(SignalingIT.room()), Map.of(), List.of());
      assertThat(late.awaitClose()).isEqualTo(new TestClient.Closed(1012, "Server draining", true));
    } finally {
      server.stop();
    }
  }
}
