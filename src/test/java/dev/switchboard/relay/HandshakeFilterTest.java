package dev.switchboard.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.config.SignalingConfig;
import dev.switchboard.launcher.Launcher;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HandshakeFilterTest {

  private static final SignalingConfig DEFAULTS =
      SignalingConfig.from(Map.<String, String>of()::get);

  @AfterEach
  void clearLauncherProperty() {
    System.clearProperty(Launcher.HEALTH_ENABLED_PROPERTY);
  }

  @Test
  void restrictsTheHealthPortOnlyWhereTheLauncherOpenedIt() {
    System.setProperty(Launcher.HEALTH_ENABLED_PROPERTY, "true");
    assertThat(HandshakeFilter.healthOnlyPort(DEFAULTS)).isEqualTo(8080);
  }

  @Test
  void restrictsNoPortOnAServerTheLauncherDidNotStart() {
    // A default Payara Server domain listens on 8080, HEALTH_PORT's default: it serves everything.
    assertThat(HandshakeFilter.healthOnlyPort(DEFAULTS)).isEqualTo(-1);
  }

  @Test
  void restrictsNoPortWhenTheLauncherOpenedNoHealthListener() {
    System.setProperty(Launcher.HEALTH_ENABLED_PROPERTY, "false");
    assertThat(HandshakeFilter.healthOnlyPort(DEFAULTS)).isEqualTo(-1);
  }

  @Test
  void anUpgradeRequestNeverAsksTheContainerToCreateASession() {
    List<Object> asked = new ArrayList<>();
    HttpServletRequest container =
        (HttpServletRequest)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {HttpServletRequest.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("getSession")) {
                    asked.add(args == null ? "getSession()" : args[0]);
                    return null;
                  }
                  throw new UnsupportedOperationException(method.getName());
                });
    HttpServletRequest upgrade = HandshakeFilter.withoutNewSession(container);

    assertThat(upgrade.getSession()).isNull();
    assertThat(upgrade.getSession(true)).isNull();
    assertThat(upgrade.getSession(false)).isNull();
    assertThat(asked).containsExactly(false, false, false);
  }
}
